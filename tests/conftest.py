"""Session-wide fixtures: every environment is synthesized once per test session, in parallel."""

from __future__ import annotations

import os

import pytest

from config.model import ENVIRONMENTS
from tests.support.synth import Synthesized, finish_synth, start_synth

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> dict[str, Synthesized]:
    root = tmp_path_factory.mktemp("synth")
    running = {env: start_synth(env, root / env) for env in ENVIRONMENTS}
    return {env: finish_synth(env, root / env, process) for env, process in running.items()}


@pytest.fixture(scope="session")
def dev(synthesized) -> Synthesized:
    return synthesized["dev"]


@pytest.fixture(scope="session")
def prod(synthesized) -> Synthesized:
    return synthesized["prod"]
