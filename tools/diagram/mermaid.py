"""A construct graph as a Mermaid flowchart: stacks as subgraphs, constructs as nodes with resource
counts, one link style per edge kind. Same graph, same bytes: IDs come from paths, order is sorted."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from tools.diagram.graph import INTERNET, Edge, Endpoint, Fact, Graph
from tools.diagram.model import Block
from tools.diagram.security import ALL_PORTS, KMS_VERBS

# Arrow and colour per edge kind; the legend below says the same in words.
_ARROWS = {"uses": "-->", "reads": "==>", "reach": "-.->", "kms": "-.->", "state": "-.->"}
_LINK_STYLES = {
    "reads": "stroke:#1f77b4,stroke-width:3px",
    "reach": "stroke:#d62728,stroke-width:2px",
    "kms": "stroke:#9467bd,stroke-width:2px",
    "state": "stroke:#7f7f7f",
}
LEGEND = (
    "Arrows point from a construct to what it uses; labels count the resources a construct holds. "
    "Thick blue: a value read from another stack, labelled with the producer's output. "
    "Dotted red: security-group rules (`may reach port N`). "
    "Dotted purple: KMS keys (`encrypts with`, `may decrypt`, `may encrypt with`). "
    "Dotted grey: where a stack keeps its Terraform state. "
    "Cylinders hold data, hexagons are KMS keys, trapezoids are security groups, rounded boxes run code."
)

# A node's kind (shape and colour) is the first whose resource types it holds.
_NODE_KINDS: Sequence[tuple[str, frozenset[str], str]] = (
    (
        "compute",
        frozenset({"aws_lambda_function", "aws_ecs_service", "aws_ecs_task_definition", "aws_instance"}),
        '("{}")',
    ),
    (
        "store",
        frozenset(
            {
                "aws_s3_bucket",
                "aws_dynamodb_table",
                "aws_rds_cluster",
                "aws_rds_global_cluster",
                "aws_db_instance",
                "aws_elasticache_replication_group",
                "aws_efs_file_system",
                "aws_kinesis_stream",
                "aws_backup_vault",
                "aws_ecr_repository",
                "aws_sqs_queue",
            }
        ),
        '[("{}")]',
    ),
    ("key", frozenset({"aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key"}), '{{{{"{}"}}}}'),
    ("firewall", frozenset({"aws_security_group", "aws_wafv2_web_acl"}), '[/"{}"\\]'),
    ("network", frozenset({"aws_vpc", "aws_subnet"}), '["{}"]'),
    ("identity", frozenset({"aws_iam_role"}), '["{}"]'),
)
_CLASS_STYLES = {
    "compute": "fill:#e8f4fd,stroke:#1f77b4",
    "store": "fill:#fff4e0,stroke:#ff7f0e",
    "key": "fill:#f3ecfa,stroke:#9467bd",
    "firewall": "fill:#fdecea,stroke:#d62728",
    "network": "fill:#eef7ee,stroke:#2ca02c",
    "identity": "fill:#f5f5f5,stroke:#7f7f7f",
}
_KMS_NAMED = {"may decrypt": "may decrypt with"}  # the verb before a key's name
_TYPES_SHOWN = 3
_OUTPUTS_SHOWN = 3


def flowchart(graph: Graph) -> str:
    ids = _ids(graph)
    lines = ["flowchart LR"]
    classes: dict[str, list[str]] = {}
    for stack in graph.environment.stacks.values():
        lines.append(f'  subgraph {ids[(stack.name, None)]}["{_escape(_stack_label(graph, stack.name))}"]')
        for node, blocks in graph.nodes.items():
            if node[0] == stack.name:
                kind, shape = _node_kind(blocks)
                lines.append(f"    {ids[node]}{shape.format(_escape(_node_label(node[1], blocks)))}")
                if kind:
                    classes.setdefault(kind, []).append(ids[node])
        lines.append("  end")
    if graph.touches_internet:
        lines.append(f'  {ids[INTERNET]}(("Internet"))')
    styled: dict[str, list[str]] = {}
    for index, edge in enumerate(graph.edges):
        label = _edge_label(edge)
        arrow = _ARROWS[edge.kind] + (f'|"{_escape(label)}"|' if label else "")
        lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
        if edge.kind in _LINK_STYLES:
            styled.setdefault(edge.kind, []).append(str(index))
    for kind, indexes in styled.items():
        lines.append(f"  linkStyle {','.join(indexes)} {_LINK_STYLES[kind]}")
    for kind in sorted(classes):
        lines.append(f"  classDef {kind} {_CLASS_STYLES[kind]}")
        lines.append(f"  class {','.join(classes[kind])} {kind}")
    return "\n".join(lines) + "\n"


def type_counts(blocks: Iterable[Block]) -> list[tuple[str, int]]:
    """Resource types of a node, most frequent first, short names before long (the main resource
    of a construct tends to have the shortest type name: `s3_bucket` before `s3_bucket_policy`)."""
    counts = Counter(block.type for block in blocks if block.kind == "resource")
    return sorted(counts.items(), key=lambda item: (-item[1], len(item[0]), item[0]))


def node_title(path: tuple[str, ...], blocks: Sequence[Block]) -> str:
    """A construct's path inside its stack; a stack's own node holds the whole stack while it is closed."""
    if path:
        return "/".join(path)
    return "(whole stack)" if any(block.construct for block in blocks) else "(stack)"


def _node_label(path: tuple[str, ...], blocks: Sequence[Block]) -> str:
    types = type_counts(blocks)
    total = sum(count for _, count in types)
    shown = [f"{count} {_short(type_)}" if count > 1 else _short(type_) for type_, count in types[:_TYPES_SHOWN]]
    if len(types) > _TYPES_SHOWN:
        shown.append(f"+{len(types) - _TYPES_SHOWN} more types")
    summary = f"{total} resource{'s' if total != 1 else ''}"
    others = Counter(block.kind for block in blocks if block.kind != "resource")
    summary += "".join(
        f", {count} {'data source' if kind == 'data' else kind}" for kind, count in sorted(others.items())
    )
    return f"{node_title(path, blocks)}<br/>{summary}" + (f": {', '.join(shown)}" if shown else "")


def _stack_label(graph: Graph, name: str) -> str:
    stack = graph.environment.stacks[name]
    state = "local state" if stack.backend == "local" else f"{stack.backend} backend"
    count = stack.resource_count()
    return f"{name}<br/>{stack.region or 'no region'}, {state}, {count} resource{'s' if count != 1 else ''}"


def _edge_label(edge: Edge) -> str:
    outputs = sorted({fact.via for fact in edge.facts if fact.via})
    if len(outputs) > _OUTPUTS_SHOWN:
        outputs = [*outputs[:_OUTPUTS_SHOWN], f"+{len(outputs) - _OUTPUTS_SHOWN} more"]
    said = _verbs(edge.kind, edge.facts)
    carried = ("output " if len(outputs) == 1 else "outputs ") + ", ".join(outputs) if outputs else ""
    return "<br/>".join(part for part in (said, carried) if part)


def _verbs(kind: str, facts: set[Fact]) -> str:
    if kind == "reach":
        ports = sorted({fact.detail for fact in facts}, key=_port_order)
        if ALL_PORTS in ports:
            return "may reach all ports"
        return f"may reach port{'s' if len(ports) > 1 or '-' in ports[0] else ''} {', '.join(ports)}"
    if kind == "kms":
        return "; ".join(_kms_phrases(facts))
    return ", ".join(sorted({fact.verb for fact in facts if fact.verb}))


def _kms_phrases(facts: set[Fact]) -> list[str]:
    """Per key, `encrypts with` and the strongest use a policy grants (`may decrypt` implies the rest);
    the key is named when its node holds several (`may decrypt with s3 key`)."""
    verbs_by_key: dict[str, set[str]] = {}
    for fact in facts:
        verbs_by_key.setdefault(fact.detail, set()).add(fact.verb)
    keys_by_verb: dict[str, list[str]] = {}
    for key, verbs in sorted(verbs_by_key.items()):
        strongest_grant = [verb for verb in KMS_VERBS[1:] if verb in verbs][:1]
        for verb in [v for v in KMS_VERBS[:1] if v in verbs] + strongest_grant:
            keys_by_verb.setdefault(verb, []).append(key)
    phrases = []
    for verb in KMS_VERBS:
        named = [key for key in keys_by_verb.get(verb, []) if key]
        if verb in keys_by_verb:
            keys = f"{', '.join(named)} key{'s' if len(named) > 1 else ''}"
            phrases.append(f"{_KMS_NAMED.get(verb, verb)} {keys}" if named else verb)
    return phrases


def _port_order(port: str) -> tuple[int, str]:
    first = port.split("-")[0]
    return (int(first) if first.isdigit() else -1, port)


def _node_kind(blocks: Sequence[Block]) -> tuple[str, str]:
    types = {block.type for block in blocks}
    for kind, kind_types, shape in _NODE_KINDS:
        if types & kind_types:
            return kind, shape
    return "", '["{}"]'


def _ids(graph: Graph) -> dict[Endpoint, str]:
    """Mermaid IDs from stack and construct names; a clash after sanitizing gets a numbered suffix."""
    ids: dict[Endpoint, str] = {INTERNET: "internet"}
    taken = {"internet"}
    ends: list[Endpoint] = [(name, None) for name in graph.environment.stacks]
    ends.extend(graph.nodes)
    for end in ends:
        stack, path = end
        base = ("s_" + _sanitize(stack)) if path is None else "n_" + _sanitize("_".join((stack, *path)))
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}_{number}", number + 1
        ids[end] = candidate
        taken.add(candidate)
    return ids


def _sanitize(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _short(type_: str) -> str:
    return type_.removeprefix("aws_")


def _escape(text: str) -> str:
    return text.replace('"', "#quot;")
