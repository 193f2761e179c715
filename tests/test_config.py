"""DC-7 and DC-11: environments are typed, validated data; bad data stops synth with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from config import ConfigError, load
from config.load import ENVIRONMENTS_DIR
from tests.support.synth import ROOT, synth_env


def _dev_data() -> dict:
    return yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())


def _set(data: dict, dotted: str, value) -> dict:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return data


_DELETE = object()

# (case, environment asked for, dotted field, bad value, words the one-line message must contain)
BAD_INPUTS = [
    ("unknown environment", "qa", None, None, ["'qa'", "dev, staging, prod"]),
    (
        "malformed CIDR",
        "dev",
        "regions.primary.vpc_cidr",
        "10.0.0.0/33",
        ["regions.primary.vpc_cidr", "10.0.0.0/33", "CIDR"],
    ),
    (
        "host bits set",
        "dev",
        "regions.primary.database_subnets",
        ["10.0.21.1/24", "10.0.22.0/24", "10.0.23.0/24"],
        ["database_subnets", "10.0.21.1/24"],
    ),
    (
        "overlapping subnets",
        "dev",
        "regions.primary.private_subnets",
        ["10.0.1.0/24", "10.0.12.0/24", "10.0.13.0/24"],
        ["regions.primary", "overlap", "10.0.1.0/24"],
    ),
    (
        "subnet outside VPC",
        "dev",
        "regions.secondary.public_subnets",
        ["10.9.1.0/24", "10.1.2.0/24", "10.1.3.0/24"],
        ["regions.secondary", "outside vpc_cidr"],
    ),
    ("overlapping VPCs", "dev", "regions.secondary.vpc_cidr", "10.0.0.0/8", ["regions", "overlaps"]),
    (
        "primary equals secondary",
        "dev",
        "regions.secondary.name",
        "us-east-1",
        ["regions", "secondary.name equals primary.name", "us-east-1"],
    ),
    (
        "unknown region",
        "dev",
        "regions.primary.name",
        "mars-north-1",
        ["regions.primary.name", "mars-north-1", "us-east-1"],
    ),
    ("malformed account ID", "dev", "accounts.own", "12345", ["accounts.own", "'12345'", "12 digits"]),
    (
        "own account as peer",
        "dev",
        "accounts.peers.staging",
        "210987654321",
        ["accounts", "own account", "210987654321"],
    ),
    (
        "retention CloudWatch refuses",
        "dev",
        "retention.log_years",
        4,
        ["retention.log_years", "4 years", "1, 2, 3, 5, 6, 7"],
    ),
    ("missing required value", "dev", "capacity.db_readers", _DELETE, ["capacity.db_readers", "required"]),
    ("unknown setting", "dev", "capacity.gpu_count", 8, ["capacity.gpu_count", "not a known setting"]),
    (
        "min above max",
        "dev",
        "capacity.app_min_tasks",
        50,
        ["capacity", "app_min_tasks (50) exceeds app_max_tasks (10)"],
    ),
    ("bad cost center", "dev", "tags.cost_center", "marketing", ["tags.cost_center", "'marketing'"]),
    ("environment/file mismatch", "dev", "environment", "prod", ["environment", "'prod'", "does not match"]),
    ("bad domain", "dev", "dns.domain", "Not A Domain", ["dns.domain", "Not A Domain", "domain"]),
]


def _write_config(directory: Path, field: str | None, value) -> None:
    data = _dev_data() if field is None else _set(_dev_data(), field, value)
    (directory / "dev.yaml").write_text(yaml.safe_dump(data))


@pytest.mark.req("DC-11")
@pytest.mark.parametrize("case,environment,field,value,words", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_configuration_stops_synth_with_one_clear_line_and_writes_nothing(
    tmp_path, case, environment, field, value, words
):
    # GIVEN a configuration folder with one bad value
    config_dir = tmp_path / "environments"
    config_dir.mkdir()
    _write_config(config_dir, field, value)
    outdir = tmp_path / "out"
    # WHEN the app is run the way `cdktf synth` runs it
    result = subprocess.run(
        [sys.executable, "main.py", environment],
        cwd=ROOT,
        env={**synth_env(), "MERIDIAN_CONFIG_DIR": str(config_dir), "CDKTF_OUTDIR": str(outdir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN it exits 2 with exactly one line naming the field and what is allowed, and writes nothing
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], f"{word!r} missing from: {lines[0]}"
    assert not outdir.exists()
    assert result.stdout == ""


@pytest.mark.req("DC-11")
def test_invalid_yaml_is_one_clear_error(tmp_path):
    (tmp_path / "dev.yaml").write_text("project: meridian\nregions: [unclosed\n")
    with pytest.raises(ConfigError, match=r"dev.yaml: not valid YAML at line \d+"):
        load("dev", tmp_path)


@pytest.mark.req("DC-7")
@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_shipped_environments_are_valid(environment):
    config = load(environment)
    assert config.environment == environment
    assert config.regions.primary.name != config.regions.secondary.name
    assert config.regions.primary.database_subnets == ("10.0.21.0/24", "10.0.22.0/24", "10.0.23.0/24")


@pytest.mark.req("DC-7")
def test_prod_differs_from_non_prod_where_the_seeds_ask():
    dev, staging, prod = load("dev"), load("staging"), load("prod")
    for other in (dev, staging):
        assert prod.deletion_protection and not other.deletion_protection
        assert prod.retention.db_backup_days == 35 and other.retention.db_backup_days == 7
        assert prod.retention.log_days == 2557 and other.retention.log_days < prod.retention.log_days
        assert (prod.capacity.app_min_tasks, prod.capacity.app_max_tasks) == (3, 20)
        assert (other.capacity.app_min_tasks, other.capacity.app_max_tasks) == (2, 10)
        assert prod.capacity.db_readers >= 2 and other.capacity.db_readers == 1


@pytest.mark.req("DC-7")
def test_environment_selection_order(monkeypatch):
    from main import select_environment

    assert select_environment([], {}) == "dev"
    assert select_environment([], {"MERIDIAN_ENV": "staging"}) == "staging"
    assert (
        select_environment([], {"MERIDIAN_ENV": "staging", "CDKTF_CONTEXT_JSON": '{"environment": "prod"}'}) == "prod"
    )
    assert select_environment(["staging"], {"CDKTF_CONTEXT_JSON": '{"environment": "prod"}'}) == "staging"
