"""The log-group check NET-4 and OPS-1 share: the one retention and the logs key on every group."""

from __future__ import annotations

import re

REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([\w-]+)\.(\w+)\}$")


def log_group_problems(stack_name: str, stack: dict, environment: str, days: int) -> list[str]:
    """One line per log group of the stack that is not kept `days` days or not encrypted with a logs key:
    the logs key of the stack's region, or a second one of another region (meridian-logs-cdn-<env>)."""
    resources = stack.get("resource", {})
    keys = resources.get("aws_kms_key", {})
    problems = []
    for logical, group in resources.get("aws_cloudwatch_log_group", {}).items():
        where = f"{stack_name} {logical}"
        if group.get("retention_in_days") != days:
            problems.append(f"{where}: retention {group.get('retention_in_days')} days, not {days}")
        key = REFERENCE.match(str(group.get("kms_key_id", "")))
        if not key or key.group(1) != "aws_kms_key" or key.group(2) not in keys:
            problems.append(f"{where}: not encrypted with a key of the stack")
        elif not re.match(rf"meridian-logs(-[a-z]+)?-{environment}: ", keys[key.group(2)]["description"]):
            problems.append(f"{where}: encrypted with {keys[key.group(2)]['description']!r}, not the logs key")
    return problems
