"""Terraform itself, once per session: every stack of every environment is initialized,
validated and planned in dependency order, each after its producers were applied.

Producers are applied on the offline stand-in (local state); with MERIDIAN_TF_PROVIDER=registry
every stack is then planned again with the real provider, reading those producers' states."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.altered_stack import AlteredStack
from tools.tfplan.environment import plan_stacks
from tools.tfplan.plan import Plan
from tools.tfplan.workspace import StackWorkspace, prepare, provider_mode


@dataclass
class PlannedStack:
    workspace: StackWorkspace  # planned with the selected provider
    validation: dict
    plan: Plan
    applied: StackWorkspace  # the same stack applied on the stand-in
    outputs: dict  # what the applied stack really outputs


def _plan_environment(synth, work_root, roles: tuple[str, ...] | None = None) -> dict[str, PlannedStack]:
    """The stacks of one synthesized environment (all, or only `roles`), each initialized, planned and
    applied in dependency order: consumers plan against what their producers really output."""

    def selected(workspaces: list[StackWorkspace]) -> list[StackWorkspace]:
        return [w for w in workspaces if roles is None or w.name.endswith(roles)]

    rehearsal = plan_stacks(selected(prepare(synth.outdir, work_root / "offline", provider="offline")), apply=True)
    if provider_mode() == "offline":
        plans = [(result.workspace, result.plan) for result in rehearsal]
    else:
        registry = prepare(synth.outdir, work_root / "registry", provider="registry", state_root=work_root / "offline")
        plans = []
        for workspace in selected(registry):
            workspace.init()
            plans.append((workspace, workspace.plan()))
    planned = {}
    for (workspace, plan), applied in zip(plans, rehearsal, strict=True):
        role = workspace.name.rsplit("-", 1)[1]
        planned[role] = PlannedStack(
            workspace, workspace.validate(), plan, applied.workspace, applied.workspace.outputs()
        )
    return planned


@pytest.fixture(scope="session")
def altered_dev_primary(dev, tmp_path_factory) -> Iterator[AlteredStack]:
    """The dev primary stack, initialized once, for tests that validate it with one change (DC-4, DC-9)."""
    (workspace,) = [w for w in prepare(dev.outdir, tmp_path_factory.mktemp("altered")) if w.name.endswith("-primary")]
    stack = AlteredStack(workspace)
    yield stack
    stack.restore()


# The stand-in appends every password it generates to this file (tools/aws-offline-provider/ephemeral.go).
PASSWORD_LOG = "MERIDIAN_OFFLINE_PASSWORD_LOG"


@pytest.fixture(scope="session")
def generated_passwords(tmp_path_factory):
    """The file the stand-in records generated passwords in while the session's stacks plan and apply (SEC-3)."""
    log = tmp_path_factory.mktemp("passwords") / "generated"
    with pytest.MonkeyPatch.context() as session_env:
        session_env.setenv(PASSWORD_LOG, str(log))
        yield log


@pytest.fixture(scope="session")
def planned_deployed_everywhere(
    deployed_everywhere, tmp_path_factory, generated_passwords: Path
) -> dict[str, dict[str, PlannedStack]]:
    """Every environment with the deploy switch on, only the two regional stacks it changes, planned and
    applied: APP-4's "every plan passes both ways"."""
    root = tmp_path_factory.mktemp("plan-deployed")
    with ThreadPoolExecutor(max_workers=len(deployed_everywhere)) as pool:
        futures = {
            env: pool.submit(_plan_environment, synth, root / env, ("primary", "secondary"))
            for env, synth in deployed_everywhere.items()
        }
        return {env: future.result() for env, future in futures.items()}


@pytest.fixture(scope="session")
def planned_deployed(planned_deployed_everywhere) -> dict[str, PlannedStack]:
    """dev with the deploy switch on, its two regional stacks planned and applied."""
    return planned_deployed_everywhere["dev"]


@pytest.fixture(scope="session")
def planned(synthesized, tmp_path_factory, generated_passwords: Path) -> dict[str, dict[str, PlannedStack]]:
    root = tmp_path_factory.mktemp("plan")
    with ThreadPoolExecutor(max_workers=len(synthesized)) as pool:
        futures = {env: pool.submit(_plan_environment, synth, root / env) for env, synth in synthesized.items()}
        return {env: future.result() for env, future in futures.items()}
