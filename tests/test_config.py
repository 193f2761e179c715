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
_CERT = "arn:aws:acm:{region}:210987654321:certificate/0b1d2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b"

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
        "regions.secondary",
        {
            **_dev_data()["regions"]["secondary"],
            "name": "us-east-1",
            "availability_zone_ids": ["use1-az1", "use1-az2", "use1-az4"],
        },
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
        "accounts.peers.staging.account",
        "210987654321",
        ["accounts", "peers.staging.account", "own account", "210987654321"],
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
    ("unknown NAT mode", "dev", "nat_mode", "cheap", ["nat_mode", "'cheap'", "'gateways' or 'instances'"]),
    (
        "zone of another region",
        "dev",
        "regions.primary.availability_zone_ids",
        ["use1-az1", "use1-az2", "usw2-az1"],
        ["regions.primary", "'usw2-az1' is not a zone of us-east-1", "use1-az1"],
    ),
    (
        "a zone twice",
        "dev",
        "regions.secondary.availability_zone_ids",
        ["usw2-az1", "usw2-az1", "usw2-az2"],
        ["regions.secondary", "repeat a zone", "three different zones"],
    ),
    (
        "two zones only",
        "dev",
        "regions.secondary.availability_zone_ids",
        ["usw2-az1", "usw2-az2"],
        ["regions.secondary.availability_zone_ids", "2 zones given", "exactly three zone IDs"],
    ),
]

# Runtime and edge settings, checked in dev, by the requirements each check proves: the image (APP-2),
# the load balancers' certificates (APP-6, EDGE-5), the edge's settings (EDGE-1, EDGE-4) and its rate limits (SEC-8).
# requirements -> [(case, dotted field, bad value, words the one-line message must contain)]
RUNTIME_BAD_INPUTS = {
    ("APP-2",): [
        ("image tag latest", "service.image.tag", "latest", ["service.image.tag", "'latest'", "explicit version"]),
        ("malformed image tag", "service.image.tag", "-rc1", ["service.image.tag", "'-rc1'", "image tag"]),
        (
            "registry with a scheme",
            "service.image.registry",
            "https://ghcr.io",
            ["service.image.registry", "https://ghcr.io", "without scheme"],
        ),
        (
            "deployed image outside the project",
            "service",
            {"deploy": True, "image": {"registry": "ghcr.io", "name": "someone/payments", "tag": "1.0.0"}},
            [
                "service.image.registry",
                "'ghcr.io'",
                "outside the project",
                "210987654321.dkr.ecr.<us-east-1 or us-west-2>",
            ],
        ),
        (
            "deployed image from another account",
            "service",
            {
                "deploy": True,
                "image": {"registry": "999999999999.dkr.ecr.us-east-1.amazonaws.com", "name": "x", "tag": "1.0.0"},
            },
            ["service.image.registry", "999999999999", "outside the project"],
        ),
        (
            "deployed image from another repository",
            "service",
            {
                "deploy": True,
                "image": {"registry": "210987654321.dkr.ecr.us-west-2.amazonaws.com", "name": "nginx", "tag": "1.27"},
            },
            ["service.image.name", "'nginx'", "meridian-payment-service-dev"],
        ),
        (
            "task memory Fargate does not offer",
            "service.memory_mib",
            1024,
            ["service", "memory_mib 1024 does not fit cpu_units 1024", "2048 to 8192"],
        ),
    ],
    ("APP-6", "EDGE-5"): [
        (
            "malformed certificate ARN",
            "dns",
            {
                "domain": "pay.example.org",
                "certificate_arns": {"us-east-1": "arn:aws:acm:us-east-1:1:cert/placeholder"},
            },
            ["dns.certificate_arns", "placeholder", "not an ACM certificate ARN"],
        ),
        (
            "certificate of another region",
            "dns",
            {"domain": "pay.example.org", "certificate_arns": {"us-west-2": _CERT.format(region="us-east-1")}},
            ["dns.certificate_arns", "us-west-2", "is a certificate of us-east-1"],
        ),
        (
            "certificate ARN beside a hosted zone",
            "dns.certificate_arns",
            {"us-east-1": _CERT.format(region="us-east-1")},
            ["dns", "certificate_arns is set together with hosted_zone_id", "one of them"],
        ),
        (
            "no CloudFront certificate",  # when neither region is us-east-1
            "dns",
            {"domain": "pay.example.org", "certificate_arns": {"us-west-2": _CERT.format(region="us-west-2")}},
            ["dns: without hosted_zone_id", "us-east-1, us-west-2", "missing: us-east-1"],
        ),
        (
            "neither hosted zone nor certificates",
            "dns",
            {"domain": "pay.example.org"},
            ["dns: without hosted_zone_id", "missing: us-east-1, us-west-2"],
        ),
    ],
    ("EDGE-1", "EDGE-4"): [
        (
            "active region of neither stack",
            "edge.active_region",
            "eu-west-1",
            ["edge.active_region 'eu-west-1' is neither region", "us-east-1, us-west-2"],
        ),
        (
            "health check interval",  # one Route 53 lacks
            "edge.health_check_interval_seconds",
            20,
            ["edge.health_check_interval_seconds", "20 seconds", "allowed: 10, 30"],
        ),
        (
            "API burst below rate",
            "edge.throttle_burst",
            10,
            ["edge", "throttle_burst 10 is below throttle_rate_per_second 1000"],
        ),
        (
            "CORS origin over plain HTTP",
            "edge.cors_origins",
            ["http://shop.example.org"],
            ["edge.cors_origins", "'http://shop.example.org' is not an HTTPS origin"],
        ),
        (
            "truststore file missing",
            "edge.truststore_file",
            "config/truststores/missing.pem",
            ["edge", "truststore_file 'config/truststores/missing.pem' cannot be read", "relative to the project root"],
        ),
        (
            "truststore of a client certificate",
            "edge.truststore_file",
            "tests/fixtures/dev-test-client-certificate.pem",
            ["edge", "is not a PEM of CA certificates only", "0 CA certificates of 1", "allowed: one or more CA"],
        ),
    ],
    ("SEC-8",): [
        (
            "WAF rate limit below what WAF accepts",
            "edge.rate_limits.cdn_per_client",
            5,
            ["edge.rate_limits.cdn_per_client", "5", "greater than or equal to 10"],
        ),
        (
            "WAF rate limit above what WAF accepts",
            "edge.rate_limits.api_per_client",
            3_000_000_000,
            ["edge.rate_limits.api_per_client", "3000000000", "less than or equal to 2000000000"],
        ),
        (
            "WAF rate limit not a number",
            "edge.rate_limits.origin_per_forwarded_client",
            "plenty",
            ["edge.rate_limits.origin_per_forwarded_client", "'plenty'", "valid integer"],
        ),
        (
            "load balancer's rate limit below the edges'",
            "edge.rate_limits.origin_per_forwarded_client",
            3000,
            [
                "edge.rate_limits",
                "origin_per_forwarded_client 3000 is below cdn_per_client + api_per_client (4000)",
                "allowed: at least their sum",
            ],
        ),
        ("WAF rate limits missing", "edge.rate_limits", _DELETE, ["edge.rate_limits", "missing"]),
    ],
}
BAD_INPUT_PARAMS = [pytest.param(*case, id=case[0]) for case in BAD_INPUTS] + [
    pytest.param(case, "dev", *rest, marks=[pytest.mark.req(requirement) for requirement in requirements], id=case)
    for requirements, cases in RUNTIME_BAD_INPUTS.items()
    for case, *rest in cases
]


def _write_config(directory: Path, field: str | None, value) -> None:
    data = _dev_data() if field is None else _set(_dev_data(), field, value)
    (directory / "dev.yaml").write_text(yaml.safe_dump(data))


@pytest.mark.req("DC-11")
@pytest.mark.parametrize("case,environment,field,value,words", BAD_INPUT_PARAMS)
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


@pytest.mark.req("SEC-8")
@pytest.mark.req("DC-7")
def test_prod_rate_limits_are_no_looser_than_any_other_environments():
    # GIVEN the shipped environments WHEN their WAF rate limits are compared THEN prod admits no more per client
    prod = load("prod").edge.rate_limits
    for other in (load("dev").edge.rate_limits, load("staging").edge.rate_limits):
        for limit in ("cdn_per_client", "api_per_client", "origin_per_forwarded_client"):
            assert getattr(prod, limit) <= getattr(other, limit), limit


@pytest.mark.req("DC-7")
def test_environment_selection_order(monkeypatch):
    from main import select_environment

    assert select_environment([], {}) == "dev"
    assert select_environment([], {"MERIDIAN_ENV": "staging"}) == "staging"
    assert select_environment(["prod"], {"MERIDIAN_ENV": "staging"}) == "prod"
    # the cdktf CLI overwrites CDKTF_CONTEXT_JSON from cdktf.json, so it must not choose
    assert select_environment([], {"CDKTF_CONTEXT_JSON": '{"environment": "prod"}'}) == "dev"


@pytest.mark.req("APP-2")
def test_a_deployed_image_from_the_projects_own_repository_is_accepted(tmp_path):
    # GIVEN dev with the deploy switch on and its image in the project's repository of either region
    for region in ("us-east-1", "us-west-2"):
        data = _set(_dev_data(), "service.deploy", True)
        data["service"]["image"]["registry"] = f"210987654321.dkr.ecr.{region}.amazonaws.com"
        (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data))
        # WHEN it is loaded, THEN it is valid
        service = load("dev", tmp_path).service
        assert service.deploy and service.image.tag == "1.0.0"


@pytest.mark.req("APP-2")
def test_the_shipped_environments_keep_the_service_off_until_an_image_exists():
    for environment in ("dev", "staging", "prod"):
        config = load(environment)
        assert config.service.deploy is False
        assert (
            config.service.image.name == config.payment_service_repository == f"meridian-payment-service-{environment}"
        )


@pytest.mark.req("APP-6")
@pytest.mark.req("EDGE-5")
def test_a_users_config_without_a_hosted_zone_brings_one_issued_certificate_per_region(tmp_path):
    # GIVEN a user's own config without a hosted zone and with an issued certificate in each region
    data = _dev_data()
    data["dns"] = {
        "domain": "pay.example.org",
        "certificate_arns": {region: _CERT.format(region=region) for region in ("us-east-1", "us-west-2")},
    }
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data))
    # WHEN it is loaded, THEN it is valid; the shipped environments validate by DNS instead
    assert load("dev", tmp_path).dns.certificate_arns["us-west-2"].startswith("arn:aws:acm:us-west-2:")
    for environment in ("dev", "staging", "prod"):
        dns = load(environment).dns
        assert dns.hosted_zone_id and not dns.certificate_arns
