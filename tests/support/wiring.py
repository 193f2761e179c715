"""QA-6: find what a synthesized stack creates but never wires.

A watched resource is wired when another resource, a data source or an output of the same stack
refers to it (`${type.name.attribute}`). References that only configure the resource itself do not
count: a key named only by its alias, a security group named only by rules (its own or another
group's), a role named only by its own policies, a topic named only by its policy, a secret named
only by its versions or policy. `depends_on` orders, it does not wire, so it never counts.
Exceptions live in tests/unwired_allowlist.yaml with a reason, matched like Checkov suppressions:
address without cdktf's hash suffix, optional stack-name globs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from tools.checkov.suppressions import stable_address

ALLOWLIST = Path(__file__).resolve().parents[1] / "unwired_allowlist.yaml"

# What QA-6 watches, and the resource types whose references to it do not wire it.
WATCHED: dict[str, frozenset[str]] = {
    "aws_security_group": frozenset(
        {"aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"}
    ),
    "aws_iam_role": frozenset(
        {
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
            "aws_iam_role_policies_exclusive",
            "aws_iam_role_policy_attachments_exclusive",
        }
    ),
    "aws_kms_key": frozenset({"aws_kms_alias"}),
    "aws_secretsmanager_secret": frozenset({"aws_secretsmanager_secret_version", "aws_secretsmanager_secret_policy"}),
    "aws_lb_target_group": frozenset(),
    "aws_cloudwatch_log_group": frozenset(),
    "aws_sns_topic": frozenset({"aws_sns_topic_policy"}),
    "aws_route53_health_check": frozenset(),
}

_REFERENCE = re.compile(r"(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Unwired:
    stack: str
    address: str  # type.logical

    def __str__(self) -> str:
        return f"{self.stack}: {self.address}"


@dataclass(frozen=True)
class Allowed:
    resource: str  # address without the hash suffix, globs allowed in the name
    reason: str
    stacks: tuple[str, ...] = ()

    def covers(self, item: Unwired) -> bool:
        if self.stacks and not any(fnmatchcase(item.stack, pattern) for pattern in self.stacks):
            return False
        return fnmatchcase(stable_address(item.address), self.resource)


def _strings(value, skip: frozenset[str] = frozenset({"//", "depends_on"})) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from _strings(item, skip)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, skip)


def _references(value) -> set[str]:
    return {f"{t}.{n}" for text in _strings(value) if "${" in text for t, n in _REFERENCE.findall(text)}


def unwired(stack_name: str, stack: dict) -> list[Unwired]:
    """Every watched resource of one stack that nothing wires."""
    resources = stack.get("resource", {})
    wired_by: dict[str, set[str]] = {}  # address -> types of resources referring to it ("output", "data")
    for type_, bodies in resources.items():
        for logical, body in bodies.items():
            for target in _references(body) - {f"{type_}.{logical}"}:
                wired_by.setdefault(target, set()).add(type_)
    for kind in ("data", "output"):
        for target in _references(stack.get(kind, {})):
            wired_by.setdefault(target, set()).add(kind)
    return [
        Unwired(stack_name, f"{type_}.{logical}")
        for type_, satellites in WATCHED.items()
        for logical in resources.get(type_, {})
        if not wired_by.get(f"{type_}.{logical}", set()) - satellites
    ]


def load_allowlist(path: Path = ALLOWLIST) -> list[Allowed]:
    entries = yaml.safe_load(path.read_text()) or []
    allowed = []
    for entry in entries:
        reason = " ".join(str(entry.get("reason", "")).split())
        if set(entry) - {"resource", "stacks", "reason"} or len(reason.split()) < 8 or "." not in entry["resource"]:
            raise ValueError(f"{path}: {entry} needs resource (type.name), optional stacks, and a reason of 8+ words")
        allowed.append(Allowed(entry["resource"], reason, tuple(entry.get("stacks", []))))
    return allowed
