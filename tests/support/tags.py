"""DC-8: the six tags, with the environment's values, on every taggable resource."""

from __future__ import annotations

from tools.tfplan.plan import Plan


def config_tag_problems(stack_name: str, stack: dict, expected: dict[str, str]) -> list[str]:
    """Resource-level tags may add tags but never override a default tag with another value."""
    problems = []
    for type_, resources in stack.get("resource", {}).items():
        for logical, body in resources.items():
            tags = body.get("tags") or {}
            if "tags_all" in body:
                problems.append(f"{stack_name}: {type_}.{logical} sets tags_all")
            problems += [
                f"{stack_name}: {type_}.{logical} overrides {key}={tags[key]!r} (want {value!r})"
                for key, value in expected.items()
                if key in tags and tags[key] != value
            ]
    return problems


def planned_tag_problems(stack_name: str, plan: Plan, expected: dict[str, str]) -> tuple[int, list[str]]:
    """Every created resource whose schema has tags_all plans the six tags with their values."""
    taggable, problems = 0, []
    for change in plan.changes:
        if change.action != "create" or change.after is None or "tags_all" not in change.after:
            continue
        taggable += 1
        tags_all = change.after.get("tags_all") or {}
        wrong = {key: tags_all.get(key) for key, value in expected.items() if tags_all.get(key) != value}
        if wrong or change.after_unknown.get("tags_all"):
            problems.append(f"{stack_name}: {change.address} plans tags_all {wrong or 'unknown'}")
    return taggable, problems
