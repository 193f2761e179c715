"""Plan review as Markdown fit for a pull-request comment (DC-6).

Counts of create / update / replace / destroy per stack, and every replacement and destruction
named by address. Never an attribute value: plans can carry secrets and customer data.
"""

from __future__ import annotations

from tools.tfplan.plan import ACTIONS, Plan


def stack_summary(stack: str, plan: Plan) -> str:
    counts = plan.counts()
    lines = [
        f"### {stack}",
        "",
        "| " + " | ".join(ACTIONS) + " |",
        "|" + "---:|" * len(ACTIONS),
        "| " + " | ".join(str(counts[a]) for a in ACTIONS) + " |",
        "",
    ]
    for action, title in (("replace", "Replaced"), ("destroy", "Destroyed")):
        addresses = plan.addresses(action)
        if addresses:
            lines.append(f"**{title} ({len(addresses)}):**")
            lines.extend(f"- `{address}`" for address in addresses)
            lines.append("")
    if not any(counts.values()):
        lines.append("No changes.")
        lines.append("")
    return "\n".join(lines)


def environment_summary(environment: str, stacks: list[tuple[str, Plan]], mode: str) -> str:
    totals = {action: sum(plan.counts()[action] for _, plan in stacks) for action in ACTIONS}
    header = [
        f"## Plan review: {environment} ({mode})",
        "",
        f"{len(stacks)} stacks; " + ", ".join(f"{totals[a]} to {a}" for a in ACTIONS) + ".",
        "",
    ]
    return "\n".join(header) + "\n".join(stack_summary(name, plan) for name, plan in stacks)
