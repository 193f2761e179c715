"""IAM and resource policy documents as plain data, rendered to JSON at synth.

A policy is built from Statement objects so constructs can add statements as they wire things
(`bucket.grant_read(role)`), and Checkov reads the rendered JSON like any policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from constructs_lib.lazy import lazy_string


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: Sequence[str]
    resources: Sequence[str] = ()
    effect: str = "Allow"
    principals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    conditions: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def render(self, with_resource: bool = True) -> dict:
        body: dict = {"Sid": self.sid, "Effect": self.effect}
        if self.principals:
            body["Principal"] = {kind: _one_or_list(ids) for kind, ids in self.principals.items()}
        body["Action"] = _one_or_list(self.actions)
        if with_resource:
            # No resources means "*": in a key or topic policy that is the resource the policy is on.
            body["Resource"] = _one_or_list(self.resources or ["*"])
        if self.conditions:
            body["Condition"] = {op: dict(values) for op, values in self.conditions.items()}
        return body


def document(statements: Sequence[Statement], with_resource: bool = True) -> str:
    sids = [s.sid for s in statements]
    duplicates = sorted({sid for sid in sids if sids.count(sid) > 1})
    if duplicates:
        raise ValueError(f"policy statement IDs must be unique; repeated: {', '.join(duplicates)}")
    rendered = [s.render(with_resource) for s in statements]
    return json.dumps({"Version": "2012-10-17", "Statement": rendered}, indent=None)


def trust_document(statements: Sequence[Statement]) -> str:
    """A role's trust policy: IAM refuses one with a Resource element ("Has prohibited field Resource")."""
    for statement in statements:
        if statement.resources:
            raise ValueError(f"trust policy statement {statement.sid} names resources; a trust policy has none")
    return document(statements, with_resource=False)


def lazy_document(statements: Callable[[], Sequence[Statement]]) -> str:
    """A policy rendered at synth, so statements added while wiring (grants) are all included."""
    return lazy_string(lambda: document(statements()))


def deny_insecure_transport(bucket_arn: str) -> Statement:
    """S3: refuse every request that is not TLS (SEC-9)."""
    return Statement(
        sid="DenyInsecureTransport",
        effect="Deny",
        principals={"AWS": ["*"]},
        actions=["s3:*"],
        resources=[bucket_arn, f"{bucket_arn}/*"],
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )


def statement_id(*parts: str) -> str:
    """A statement ID from construct names: IAM allows only letters and digits (`flow-logs` -> `FlowLogs`)."""
    words = [word for part in parts for word in re.split(r"[^A-Za-z0-9]+", part) if word]
    return "".join(word[0].upper() + word[1:] for word in words)


def _one_or_list(values: Sequence[str]):
    values = list(values)
    return values[0] if len(values) == 1 else values
