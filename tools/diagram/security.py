"""The security meaning of a reference: who may reach whom on which port (security-group rules), and
who encrypts with or may decrypt with which KMS key (resource arguments, IAM and key policies)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from tools.diagram.model import Block
from tools.diagram.references import Grant, Reference, references_in

KEY_TYPES = frozenset({"aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key"})
KEY_POLICY_TYPES = frozenset({"aws_kms_key_policy"})  # a key's policy as its own resource, naming the key in key_id
KMS_VERBS = ("encrypts with", "may decrypt", "may encrypt with", "may use")
_INTERNET = frozenset({"0.0.0.0/0", "::/0"})
ALL_PORTS = "all"
# Arguments that set the key a resource encrypts with, across the provider: kms_key_id, kms_key_arn,
# kms_master_key_id, replica_kms_key_id, performance_insights_kms_key_id, kms_key (ECR), key_id (SSM).
_ENCRYPTION_ARGUMENT = re.compile(r"kms|encrypt|^key_(id|arn)$")


@dataclass(frozen=True)
class Reach:
    """Traffic a rule admits: any of `sources` may open connections to any of `targets` on `ports`.
    A peer is a reference to a security group, or None for the internet."""

    sources: tuple[Reference | None, ...]
    targets: tuple[Reference | None, ...]
    ports: str  # "5432", "1024-65535" or ALL_PORTS


def kms_verb(argument: str, grant: Grant | None) -> str | None:
    """How a mention of a key uses it: an encryption argument (`kms_key_id`, `kms_master_key_id`,
    `encryption_key`) encrypts with it; an Allow statement naming it as Resource (or, in the key's own
    policy, a Principal) grants what its actions say. Anything else is no use of the key."""
    if grant is None:
        return "encrypts with" if _ENCRYPTION_ARGUMENT.search(argument) else None
    if grant.effect != "Allow" or grant.part not in ("Resource", "Principal"):
        return None
    if _allows(grant, "kms:Decrypt") or _allows(grant, "kms:ReEncryptFrom"):
        return "may decrypt"
    if any(_allows(grant, action) for action in ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo")):
        return "may encrypt with"
    return "may use"


def _allows(grant: Grant, action: str) -> bool:
    named = any(fnmatchcase(action.lower(), pattern.lower()) for pattern in grant.actions)
    return named != grant.inverted


@dataclass(frozen=True)
class _RuleShape:
    """Where a rule type keeps its parts. Ingress: peer -> group; egress: group -> peer."""

    direction: str | None  # "ingress" or "egress"; None: the rule's `type` argument says
    group: str  # the argument naming the group the rule belongs to
    peer: str  # the argument naming the peer group
    ranges: tuple[str, str]  # the arguments that may name the internet (IPv4, IPv6)


_RULE_SHAPES: Mapping[str, _RuleShape] = {
    "aws_vpc_security_group_ingress_rule": _RuleShape(
        "ingress", "security_group_id", "referenced_security_group_id", ("cidr_ipv4", "cidr_ipv6")
    ),
    "aws_vpc_security_group_egress_rule": _RuleShape(
        "egress", "security_group_id", "referenced_security_group_id", ("cidr_ipv4", "cidr_ipv6")
    ),
    "aws_security_group_rule": _RuleShape(
        None, "security_group_id", "source_security_group_id", ("cidr_blocks", "ipv6_cidr_blocks")
    ),
}
_INLINE_RULE_TYPES = frozenset({"aws_security_group", "aws_default_security_group"})  # ingress/egress blocks


def rule_fields(block: Block) -> frozenset[str]:
    """The arguments whose references a rule turns into `Reach`, so they are not drawn as plain uses."""
    if block.type in _RULE_SHAPES:
        shape = _RULE_SHAPES[block.type]
        return frozenset({shape.group, shape.peer})
    return frozenset({"ingress", "egress"}) if block.type in _INLINE_RULE_TYPES else frozenset()


def reaches(block: Block) -> list[Reach]:
    """What traffic a security-group rule, or a group's inline rules, admit."""
    if block.type in _RULE_SHAPES:
        shape = _RULE_SHAPES[block.type]
        group = tuple(references_in(block.body.get(shape.group)))
        peers = _peers(block.body, shape.peer, shape.ranges, group)
        direction = shape.direction or str(block.body.get("type"))
        return [_directed(direction, group, peers, _ports(block.body, "ip_protocol", "protocol"))]
    if block.type in _INLINE_RULE_TYPES:
        itself: tuple[Reference | None, ...] = (Reference("resource", block.type, block.name, ("id",)),)
        found = []
        for direction in ("ingress", "egress"):
            rules = block.body.get(direction)
            for rule in rules if isinstance(rules, list) else []:
                if isinstance(rule, Mapping):
                    peers = _peers(rule, "security_groups", ("cidr_blocks", "ipv6_cidr_blocks"), itself)
                    found.append(_directed(direction, itself, peers, _ports(rule, "protocol")))
        return found
    return []


def _directed(
    direction: str, own: tuple[Reference | None, ...], peers: tuple[Reference | None, ...], ports: str
) -> Reach:
    return Reach(peers, own, ports) if direction == "ingress" else Reach(own, peers, ports)


def _peers(
    body: Mapping[str, object],
    group_argument: str,
    cidr_arguments: tuple[str, ...],
    group: tuple[Reference | None, ...],
) -> tuple[Reference | None, ...]:
    """The other ends of a rule: groups it names, the internet, and the rule's own group for `self`."""
    peers: list[Reference | None] = list(references_in(body.get(group_argument)))
    if body.get("self") is True:
        peers.extend(group)
    for argument in cidr_arguments:
        value = body.get(argument)
        ranges = value if isinstance(value, list) else [value]
        if any(cidr in _INTERNET for cidr in ranges):
            peers.append(None)
    return tuple(peers)


def _ports(rule: Mapping[str, object], *protocol_arguments: str) -> str:
    protocol = next((str(rule[a]) for a in protocol_arguments if rule.get(a) is not None), "tcp")
    low, high = rule.get("from_port"), rule.get("to_port")
    if protocol in ("-1", "all") or low is None:
        return ALL_PORTS
    return str(low) if low == high or high is None else f"{low}-{high}"
