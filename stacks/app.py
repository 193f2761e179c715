"""Compose one environment: state bootstrap, the two regional stacks, the global stack."""

from __future__ import annotations

from cdktf import App

from config import EnvironmentConfig
from stacks.base import MeridianStack
from stacks.global_stack import GlobalStack
from stacks.regional import RegionalStack
from stacks.state import StateStack


def build_environment(app: App, config: EnvironmentConfig) -> list[MeridianStack]:
    """Stacks in dependency order (the order deploys and rehearsals apply them)."""
    state = StateStack(app, config)
    primary = RegionalStack(app, config, role="primary", plan=config.regions.primary)
    secondary = RegionalStack(app, config, role="secondary", plan=config.regions.secondary, primary=primary)
    global_ = GlobalStack(app, config, primary=primary, secondary=secondary)
    for stack in (primary, secondary, global_):
        stack.add_dependency(state)  # the state bucket must exist before any remote-state stack
    return [state, primary, secondary, global_]
