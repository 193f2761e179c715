"""Plan review fit for a pull-request comment (DC-6): what a change does to what already exists.

Read from `terraform show -json` of each stack's plan: destroys and replaces first, marked when the
resource holds data and with the arguments that force the replacement; then changes to the
security surface with the names of the changed arguments; then changed stack outputs; the rest
as counts by resource type, folded. Never an attribute value: plans carry secrets and customer
data. The same review is rendered as Markdown (kept under GitHub's comment limit) and as JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from tools.tfplan.plan import ACTIONS, Plan
from tools.tfplan.surface import ANY_ADDRESS, ANY_PRINCIPAL, DATA_HOLDING, SECURITY_ARGUMENTS, SECURITY_SURFACE

# GitHub rejects an issue or pull-request comment longer than this many characters.
COMMENT_LIMIT = 65_536
# Derived from tags and the provider's default_tags: its change is already shown as `tags`.
DERIVED_ARGUMENTS = frozenset({"tags_all"})


@dataclass(frozen=True)
class Destructive:
    stack: str
    address: str
    type: str
    action: str  # "replace" or "destroy"
    holds_data: bool
    forced_by: tuple[str, ...]  # argument names; empty for a destroy


@dataclass(frozen=True)
class SecurityChange:
    stack: str
    address: str
    type: str
    action: str
    changed: tuple[str, ...]  # argument names whose value changes (or becomes known only at apply)
    reaches_anyone: bool  # a changed argument now admits any address or any principal


@dataclass(frozen=True)
class OutputChange:
    stack: str
    name: str
    action: str


@dataclass
class StackReview:
    name: str
    counts: dict[str, int]
    destructive: list[Destructive] = field(default_factory=list)
    security: list[SecurityChange] = field(default_factory=list)
    outputs: list[OutputChange] = field(default_factory=list)
    by_type: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Review:
    environment: str
    mode: str
    base: str | None  # the base revision, None when planned against empty or real state
    stacks: list[StackReview]

    @property
    def destructive(self) -> list[Destructive]:
        return [item for stack in self.stacks for item in stack.destructive]

    @property
    def data_loss(self) -> list[Destructive]:
        return [item for item in self.destructive if item.holds_data]

    @property
    def security(self) -> list[SecurityChange]:
        return [item for stack in self.stacks for item in stack.security]

    @property
    def outputs(self) -> list[OutputChange]:
        return [item for stack in self.stacks for item in stack.outputs]

    def totals(self) -> dict[str, int]:
        return {action: sum(stack.counts[action] for stack in self.stacks) for action in ACTIONS}

    def verdict(self) -> str:
        return _verdict(self)

    def to_json(self) -> str:
        document = {
            "environment": self.environment,
            "mode": self.mode,
            "base": self.base,
            "verdict": self.verdict(),
            "data_loss": bool(self.data_loss),
            "totals": self.totals(),
            "stacks": [asdict(stack) for stack in self.stacks],
        }
        return json.dumps(document, indent=2)

    def to_markdown(self, limit: int = COMMENT_LIMIT) -> str:
        return _markdown_within(self, limit)


def stack_review(stack: str, plan: Plan) -> StackReview:
    review = StackReview(stack, plan.counts())
    by_type: dict[str, Counter] = {}
    managed = [rc for rc in plan.raw.get("resource_changes", []) if rc.get("mode") == "managed"]
    for raw, change in zip(managed, plan.changes, strict=True):
        if change.action not in ACTIONS:
            continue
        by_type.setdefault(change.type, Counter())[change.action] += 1
        body = raw["change"]
        if change.action in ("replace", "destroy"):
            forced = tuple(_path_name(path) for path in body.get("replace_paths") or [])
            review.destructive.append(
                Destructive(stack, change.address, change.type, change.action, change.type in DATA_HOLDING, forced)
            )
        if change.type in SECURITY_SURFACE:
            security = _security_change(stack, change.address, change.type, change.action, body)
            if security:
                review.security.append(security)
    review.by_type = {type_: dict(sorted(counts.items())) for type_, counts in sorted(by_type.items())}
    for name, body in sorted(plan.output_changes().items()):
        action = _output_action(body["actions"])
        if action:
            review.outputs.append(OutputChange(stack, name, action))
    return review


def build_review(environment: str, mode: str, base: str | None, stacks: list[tuple[str, Plan]]) -> Review:
    return Review(environment, mode, base, [stack_review(name, plan) for name, plan in stacks])


def _security_change(stack: str, address: str, type_: str, action: str, body: dict) -> SecurityChange | None:
    changed: tuple[str, ...] = ()
    if action == "update":
        changed = _changed_arguments(body)
        relevant = SECURITY_ARGUMENTS.get(type_)
        if relevant is not None and not relevant & set(changed):
            return None
    elif action == "replace":
        changed = tuple(_path_name(path) for path in body.get("replace_paths") or [])
    return SecurityChange(stack, address, type_, action, changed, _reaches_anyone(body))


def _path_name(path: list) -> str:
    """`["ingress", 0, "cidr_blocks"]` -> `ingress.cidr_blocks`: names only, no index or key values."""
    return ".".join(step for step in path if isinstance(step, str) and step.isidentifier())


def _changed_arguments(body: dict) -> tuple[str, ...]:
    before, after = body.get("before") or {}, body.get("after") or {}
    unknown = body.get("after_unknown") or {}
    names = set(before) | set(after) | set(unknown)
    changed = {
        name
        for name in names - DERIVED_ARGUMENTS
        if _has_unknown(unknown.get(name)) or before.get(name) != after.get(name)
    }
    return tuple(sorted(changed))


def _has_unknown(marker) -> bool:
    if isinstance(marker, dict):
        return any(_has_unknown(value) for value in marker.values())
    if isinstance(marker, list):
        return any(_has_unknown(value) for value in marker)
    return marker is True


def _reaches_anyone(body: dict) -> bool:
    """True when the planned object admits any address or principal and the prior one did not."""
    return _admits_anyone(body.get("after")) and not _admits_anyone(body.get("before"))


def _admits_anyone(value) -> bool:
    if isinstance(value, dict):
        return any(_admits_anyone(item) for item in value.values())
    if isinstance(value, list):
        return any(_admits_anyone(item) for item in value)
    if isinstance(value, str):
        compact = "".join(value.split())
        return value in ANY_ADDRESS or any(marker in compact for marker in ANY_PRINCIPAL)
    return False


def _output_action(actions: list[str]) -> str | None:
    if actions in (["no-op"], ["read"]):
        return None
    if actions == ["create"]:
        return "added"
    if actions == ["delete"]:
        return "removed"
    return "changed"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _verdict(review: Review) -> str:
    """One line: data loss first, then what else needs a look; creations alone are "additions only"."""
    totals = review.totals()
    data = Counter(item.action for item in review.data_loss)
    other = len(review.destructive) - len(review.data_loss)
    security = [item for item in review.security if item.action != "create"]
    outputs = [item for item in review.outputs if item.action != "added"]
    parts = []
    if data:
        stateful = " and ".join(
            _plural(data[action], f"stateful {noun}")
            for action, noun in (("replace", "replacement"), ("destroy", "destruction"))
            if data[action]
        )
        parts.append(f"{stateful}: needs a second reviewer")
    if other:
        parts.append(f"{_plural(other, 'replacement or destruction')} of resources holding no data")
    if security:
        parts.append(_plural(len(security), "security-surface change"))
    if outputs:
        parts.append(f"{_plural(len(outputs), 'output')} changed or removed")
    if parts:
        return "; ".join(parts)
    if not any(totals.values()):
        return "no changes"
    new_surface = len(review.security)
    on_surface = f", {new_surface} of them on the security surface" if new_surface else ""
    if totals["update"] == 0:
        return f"additions only ({totals['create']} to create{on_surface})"
    return f"in-place updates only ({_plural(totals['update'], 'update')}, {totals['create']} to create)"


def _markdown_within(review: Review, limit: int) -> str:
    """Full detail if it fits; otherwise fewer rows per list, each list saying how many it left out."""
    for rows in (None, 200, 50, 10, 0):
        markdown = _markdown(review, rows)
        if len(markdown) <= limit:
            return markdown
    cut = "\n\n_(cut to fit a pull-request comment; the JSON review has everything)_\n"
    return markdown[: limit - len(cut)] + cut


def _markdown(review: Review, rows: int | None) -> str:
    totals = review.totals()
    against = f"against base `{review.base}`" if review.base else "against the state it would change"
    icon = "⚠️ " if review.data_loss else ""
    lines = [
        f"**{icon}Verdict: {review.verdict()}.**",
        "",
        f"## Plan review: {review.environment}, {against} ({review.mode})",
        "",
        f"{len(review.stacks)} stacks; " + ", ".join(f"{totals[a]} to {a}" for a in ACTIONS) + ".",
        "",
        "| stack | " + " | ".join(ACTIONS) + " |",
        "|---|" + "---:|" * len(ACTIONS),
        *(f"| {s.name} | " + " | ".join(str(s.counts[a]) for a in ACTIONS) + " |" for s in review.stacks),
        "",
    ]
    lines += _table(
        "Destroyed or replaced",
        ["stack", "resource", "action", "holds data", "forced by"],
        [
            [
                d.stack,
                f"`{d.address}`",
                d.action,
                f"**yes: {DATA_HOLDING[d.type]}**" if d.holds_data else "no",
                _names(d.forced_by) or "—",
            ]
            for d in sorted(review.destructive, key=lambda d: (not d.holds_data, d.stack, d.address))
        ],
        rows,
    )
    lines += _table(
        "Security surface",
        ["stack", "resource", "action", "changed arguments"],
        [
            [
                s.stack,
                f"`{s.address}`",
                s.action,
                (_names(s.changed) or "—") + (" **(now admits anyone)**" if s.reaches_anyone else ""),
            ]
            for s in review.security
        ],
        rows,
    )
    lines += _table(
        "Changed outputs (other stacks read them)",
        ["stack", "output", "change"],
        [[o.stack, f"`{o.name}`", o.action] for o in review.outputs],
        rows,
    )
    by_type = [
        [s.name, f"`{type_}`", *(str(c.get(a, 0)) for a in ACTIONS)]
        for s in review.stacks
        for type_, c in s.by_type.items()
    ]
    if by_type:
        shown = by_type if rows is None else by_type[:rows]
        lines += [
            "<details><summary>Every change by resource type</summary>",
            "",
            "| stack | resource type | " + " | ".join(ACTIONS) + " |",
            "|---|---|" + "---:|" * len(ACTIONS),
            *("| " + " | ".join(row) + " |" for row in shown),
            *([f"\n_{len(by_type) - len(shown)} more rows in the JSON review._"] if len(shown) < len(by_type) else []),
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines)


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _table(title: str, header: list[str], body: list[list[str]], rows: int | None) -> list[str]:
    if not body:
        return []
    shown = body if rows is None else body[:rows]
    lines = [
        f"### {title} ({len(body)})",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in shown),
    ]
    if len(shown) < len(body):
        lines.append(f"\n_{len(body) - len(shown)} more in the JSON review._")
    return lines + [""]
