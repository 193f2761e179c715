"""Plan (and apply, offline) every stack of one environment in dependency order."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tools.tfplan import terraform
from tools.tfplan.plan import Plan
from tools.tfplan.workspace import StackWorkspace


@dataclass
class StackResult:
    workspace: StackWorkspace
    plan: Plan
    seconds: float


def plan_stacks(workspaces: list[StackWorkspace], *, apply: bool) -> list[StackResult]:
    """Init and plan each stack in order; with apply, apply it before its consumers plan."""
    results = []
    for index, workspace in enumerate(workspaces, 1):
        terraform.progress(f"[{index}/{len(workspaces)}] {workspace.name}: init, plan{', apply' if apply else ''}")
        started = time.perf_counter()
        workspace.init()
        plan = workspace.plan()
        seconds = time.perf_counter() - started
        if apply:
            workspace.apply()
        results.append(StackResult(workspace, plan, seconds))
    return results
