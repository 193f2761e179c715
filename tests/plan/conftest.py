"""Terraform itself, once per session: every stack of every environment is initialized,
validated, planned and applied (offline, local state) in dependency order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tools.tfplan.plan import Plan
from tools.tfplan.workspace import StackWorkspace, prepare


@dataclass
class PlannedStack:
    workspace: StackWorkspace
    validation: dict
    plan: Plan
    outputs: dict


def _plan_environment(synth, work_root) -> dict[str, PlannedStack]:
    planned = {}
    for workspace in prepare(synth.outdir, work_root):
        workspace.init()
        validation = workspace.validate()
        plan = workspace.plan()
        workspace.apply()  # consumers plan against what their producers really output
        planned[workspace.name.rsplit("-", 1)[1]] = PlannedStack(workspace, validation, plan, workspace.outputs())
    return planned


@pytest.fixture(scope="session")
def planned(synthesized, tmp_path_factory) -> dict[str, dict[str, PlannedStack]]:
    root = tmp_path_factory.mktemp("plan")
    with ThreadPoolExecutor(max_workers=len(synthesized)) as pool:
        futures = {env: pool.submit(_plan_environment, synth, root / env) for env, synth in synthesized.items()}
        return {env: future.result() for env, future in futures.items()}
