"""Where a synthesized block mentions another: every `${...}` expression in its body, found also inside
JSON policy documents, with the policy statement (effect, actions, part) a mention sits in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

# `aws_kms_key.keys_sns_key_B7467FFB.arn`, `data.terraform_remote_state.x.outputs.y`: an address and
# the attribute chain after it. Not preceded by a name character or a dot, so `data.a.b` is one match.
_REFERENCE = re.compile(r"(?<![\w.-])(?:(data|ephemeral)\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)((?:\.[\w-]+)*)")
_STATEMENT_PARTS = ("Principal", "NotPrincipal", "Resource", "NotResource", "Condition")


@dataclass(frozen=True)
class Reference:
    kind: str  # "resource", "data" or "ephemeral"
    type: str
    name: str
    attributes: tuple[str, ...]  # ("arn",) or ("outputs", "alert_topic_arn")


@dataclass(frozen=True)
class Grant:
    """The IAM policy statement a mention sits in and the part of it (Resource, Principal, ...)."""

    effect: str
    actions: tuple[str, ...]  # patterns as written (`kms:*`, `kms:GenerateDataKey*`)
    part: str
    inverted: bool = False  # NotAction: the statement grants every action but these


@dataclass(frozen=True)
class Mention:
    reference: Reference
    field: str  # the top-level argument of the block that holds it (rule, policy, ...)
    argument: str  # the innermost argument that holds it (kms_master_key_id inside rule, ...)
    grant: Grant | None = None


def expressions(text: str) -> Iterator[str]:
    """The inside of every `${...}` in a string, braces balanced (an expression may hold an object)."""
    start = text.find("${")
    while start != -1:
        depth, index = 1, start + 2
        while index < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        yield text[start + 2 : index - 1]
        start = text.find("${", index)


def references(expression: str) -> Iterator[Reference]:
    for match in _REFERENCE.finditer(expression):
        kind, type_, name, chain = match.groups()
        yield Reference(kind or "resource", type_, name, tuple(part for part in chain.split(".") if part))


def references_in(value: object) -> Iterator[Reference]:
    """Every reference anywhere in a value (an output's value, a nested block)."""
    for _, text in _strings(value, ""):
        for expression in expressions(text):
            yield from references(expression)


def mentions(body: Mapping[str, object], block_type: str) -> Iterator[Mention]:
    """Every reference a block's body makes, with the policy statement around it where there is one."""
    for field, value in sorted(body.items()):
        if field == "//":
            continue
        if field == "depends_on" and isinstance(value, list):
            # Explicit dependencies are bare addresses, not `${...}` expressions.
            for address in value:
                for reference in references(str(address)):
                    yield Mention(reference, field, field)
            continue
        if field == "statement" and block_type == "aws_iam_policy_document" and isinstance(value, list):
            for statement in value:
                yield from _document_statement(statement, field)
            continue
        for argument, text in _strings(value, field):
            statements = _policy_statements(text)
            if statements is None:
                for expression in expressions(text):
                    yield from (Mention(reference, field, argument) for reference in references(expression))
            else:
                for statement in statements:
                    yield from _json_statement(statement, field)


def _json_statement(statement: Mapping[str, object], field: str) -> Iterator[Mention]:
    inverted = "NotAction" in statement
    actions = tuple(_as_list(statement.get("NotAction" if inverted else "Action")))
    effect = str(statement.get("Effect", "Allow"))
    for part in _STATEMENT_PARTS:
        grant = Grant(effect, actions, part, inverted)
        yield from (Mention(reference, field, part, grant) for reference in references_in(statement.get(part)))


def _document_statement(statement: Mapping[str, object], field: str) -> Iterator[Mention]:
    """A statement block of the `aws_iam_policy_document` data source (lower-case HCL arguments)."""
    inverted = bool(statement.get("not_actions"))
    actions = tuple(_as_list(statement.get("not_actions" if inverted else "actions")))
    effect = str(statement.get("effect", "Allow"))
    parts = {
        "Principal": statement.get("principals"),
        "Resource": statement.get("resources"),
        "NotResource": statement.get("not_resources"),
        "Condition": statement.get("condition"),
    }
    for part, value in parts.items():
        grant = Grant(effect, actions, part, inverted)
        yield from (Mention(reference, field, part, grant) for reference in references_in(value))


def _policy_statements(text: str) -> list[Mapping[str, object]] | None:
    """The statements of a JSON policy document, or None when the string is not one."""
    if not text.lstrip().startswith("{") or "Statement" not in text:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or "Statement" not in document:
        return None
    statements = document["Statement"]
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _strings(value: object, argument: str) -> Iterator[tuple[str, str]]:
    """Every string in a value, with the innermost argument (mapping key) it sits under."""
    if isinstance(value, str):
        yield argument, value
    elif isinstance(value, Mapping):
        for key in sorted(value):
            yield from _strings(value[key], str(key))
    elif isinstance(value, Sequence):
        for item in value:
            yield from _strings(item, argument)


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, Sequence) else [str(value)]
