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


def _section(environment: str, section: str, **changes) -> dict:
    """One section of a shipped environment file with some settings changed (config_with replaces whole sections)."""
    return {**yaml.safe_load((ENVIRONMENTS_DIR / f"{environment}.yaml").read_text())[section], **changes}


def _start_variant(tmp_path_factory, environment: str, name: str, **sections):
    """Start synthesizing one environment with some top-level config sections replaced; finish with
    finish_synth(*started)."""
    root = tmp_path_factory.mktemp(f"synth-{name}")
    config_dir = config_with(root / "config", environment, **sections)
    out = root / "out"
    return environment, out, start_synth(environment, out, MERIDIAN_CONFIG_DIR=str(config_dir), **STRICT_SYNTH_ENV)


def _dev_variant(tmp_path_factory, name: str, **sections) -> Synthesized:
    """dev synthesized once with some top-level config sections replaced."""
    return finish_synth(*_start_variant(tmp_path_factory, "dev", name, **sections))


@pytest.fixture(scope="session")
def nat_instances(tmp_path_factory) -> Synthesized:
    """dev synthesized in the NAT cost mode (`nat_mode: instances`); the shipped configs use gateways."""
    return _dev_variant(tmp_path_factory, "nat-instances", nat_mode="instances")


@pytest.fixture(scope="session")
def deployed(tmp_path_factory) -> Synthesized:
    """dev synthesized with the deploy switch on (`service.deploy: true`, dev's image in the project's own
    repository): the ECS service, its autoscaling and deployment alarms. Every shipped config keeps it off."""
    return _dev_variant(tmp_path_factory, "deployed", service=_section("dev", "service", deploy=True))


@pytest.fixture(scope="session")
def deployed_everywhere(deployed, tmp_path_factory) -> dict[str, Synthesized]:
    """Every environment with the deploy switch on (each with its own image in its own repository);
    dev is `deployed` itself."""
    others = [env for env in ENVIRONMENTS if env != "dev"]
    running = [
        _start_variant(tmp_path_factory, env, f"deployed-{env}", service=_section(env, "service", deploy=True))
        for env in others
    ]
    return {"dev": deployed, **{started[0]: finish_synth(*started) for started in running}}


@pytest.fixture(scope="session")
def switched_region(tmp_path_factory) -> Synthesized:
    """dev after the planned region switch: edge.active_region names the secondary region (EDGE-4, DC-3)."""
    secondary = _section("dev", "regions")["secondary"]["name"]
    return _dev_variant(tmp_path_factory, "switched", edge=_section("dev", "edge", active_region=secondary))


@pytest.fixture(scope="session")
def every_variant(synthesized, nat_instances, deployed) -> dict[str, Synthesized]:
    """Every shipped environment plus dev with NAT instances and dev with the service deployed:
    what whole-stack checks walk."""
    return {**synthesized, "dev-nat-instances": nat_instances, "dev-deployed": deployed}


# An issued certificate ARN per region, as a user without a hosted zone gives them (EDGE-5).
_USER_CERTIFICATE = "arn:aws:acm:{region}:{account}:certificate/0b1d2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b"


@pytest.fixture(scope="session")
def without_hosted_zone(tmp_path_factory) -> dict[str, Synthesized]:
    """Every environment as a user's config without a hosted zone: imported certificates, no records."""
    running = []
    for env in ENVIRONMENTS:
        data = yaml.safe_load((ENVIRONMENTS_DIR / f"{env}.yaml").read_text())
        regions = {data["regions"][role]["name"] for role in ("primary", "secondary")} | {"us-east-1"}
        account = data["accounts"]["own"]
        dns = {
            "domain": data["dns"]["domain"],
            "certificate_arns": {r: _USER_CERTIFICATE.format(region=r, account=account) for r in sorted(regions)},
        }
        running.append(_start_variant(tmp_path_factory, env, f"no-zone-{env}", dns=dns))
    return {started[0]: finish_synth(*started) for started in running}
