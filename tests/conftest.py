"""Session-wide fixtures: every environment is synthesized once per test session, in parallel.

`--req DC-2` (repeatable) runs only the tests marked with that requirement: `-k` cannot select by a
marker's argument.
"""

from __future__ import annotations

import os

import pytest
import yaml

from config.load import ENVIRONMENTS_DIR
from config.model import ENVIRONMENTS
from tests.support.synth import STRICT_SYNTH_ENV, Synthesized, config_with, finish_synth, start_synth

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--req",
        action="append",
        default=[],
        metavar="ID",
        help="run only the tests that prove this requirement (e.g. DC-2)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = {requirement.upper() for requirement in config.getoption("req")}
    if not wanted:
        return
    selected, deselected = [], []
    for item in items:
        proves = {str(arg).upper() for marker in item.iter_markers("req") for arg in marker.args}
        (selected if proves & wanted else deselected).append(item)
    config.hook.pytest_deselected(items=deselected)
    items[:] = selected


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> dict[str, Synthesized]:
    root = tmp_path_factory.mktemp("synth")
    running = {env: start_synth(env, root / env, **STRICT_SYNTH_ENV) for env in ENVIRONMENTS}
    return {env: finish_synth(env, root / env, process) for env, process in running.items()}


@pytest.fixture(scope="session")
def dev(synthesized) -> Synthesized:
    return synthesized["dev"]


@pytest.fixture(scope="session")
def prod(synthesized) -> Synthesized:
    return synthesized["prod"]


@pytest.fixture(scope="session")
def nat_instances(tmp_path_factory) -> Synthesized:
    """dev synthesized in the NAT cost mode (`nat_mode: instances`); the shipped configs use gateways."""
    root = tmp_path_factory.mktemp("synth-nat-instances")
    config_dir = config_with(root / "config", "dev", nat_mode="instances")
    return finish_synth(
        "dev", root / "out", start_synth("dev", root / "out", MERIDIAN_CONFIG_DIR=str(config_dir), **STRICT_SYNTH_ENV)
    )


@pytest.fixture(scope="session")
def deployed(tmp_path_factory) -> Synthesized:
    """dev synthesized with the deploy switch on (`service.deploy: true`, dev's image in the project's own
    repository): the ECS service, its autoscaling and deployment alarms. Every shipped config keeps it off."""
    root = tmp_path_factory.mktemp("synth-deployed")
    service = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())["service"]
    config_dir = config_with(root / "config", "dev", service={**service, "deploy": True})
    return finish_synth(
        "dev", root / "out", start_synth("dev", root / "out", MERIDIAN_CONFIG_DIR=str(config_dir), **STRICT_SYNTH_ENV)
    )


@pytest.fixture(scope="session")
def every_variant(synthesized, nat_instances, deployed) -> dict[str, Synthesized]:
    """Every shipped environment plus dev with NAT instances and dev with the service deployed:
    what whole-stack checks walk."""
    return {**synthesized, "dev-nat-instances": nat_instances, "dev-deployed": deployed}
