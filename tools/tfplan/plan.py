"""A plan matcher for `terraform show -json` output: cdktf's Python Testing has none.

Reads resource changes the way a reviewer does: what is created, updated, replaced, destroyed,
and the planned values of what is created. Attribute values are for tests; summaries never show them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

ACTIONS = ("create", "update", "replace", "destroy")


def _action(actions: list[str]) -> str:
    if "create" in actions and "delete" in actions:
        return "replace"
    if actions == ["delete"]:
        return "destroy"
    return actions[0]  # create, update, no-op, read


@dataclass(frozen=True)
class ResourceChange:
    address: str
    type: str
    action: str
    after: dict | None
    after_unknown: dict


class Plan:
    def __init__(self, show_json: dict) -> None:
        self.raw = show_json
        self.changes = [
            ResourceChange(
                address=rc["address"],
                type=rc["type"],
                action=_action(rc["change"]["actions"]),
                after=rc["change"].get("after"),
                after_unknown=rc["change"].get("after_unknown") or {},
            )
            for rc in show_json.get("resource_changes", [])
            if rc.get("mode") == "managed"
        ]

    def counts(self) -> dict[str, int]:
        counted = Counter(change.action for change in self.changes)
        return {action: counted.get(action, 0) for action in ACTIONS}

    def addresses(self, action: str) -> list[str]:
        return sorted(change.address for change in self.changes if change.action == action)

    def count_by_type(self, action: str = "create") -> dict[str, int]:
        return dict(Counter(change.type for change in self.changes if change.action == action))

    def created(self, type_: str) -> list[ResourceChange]:
        return [c for c in self.changes if c.type == type_ and c.action == "create"]

    def only_created(self, type_: str) -> ResourceChange:
        found = self.created(type_)
        assert len(found) == 1, f"expected one {type_} to be created, found {[c.address for c in found]}"
        return found[0]

    def is_empty(self) -> bool:
        return all(change.action in ("no-op", "read") for change in self.changes)

    def output_changes(self) -> dict:
        return self.raw.get("output_changes", {})
