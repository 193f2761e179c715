"""The entry points as the stacks compose them, in every environment (EDGE-1..EDGE-5, SEC-8, DC-3, DC-10).

GIVEN every environment synthesized once (and dev after the planned region switch, and every
environment without a hosted zone), WHEN the Route 53 records, health checks, API domains and the
CloudFront distribution are read from the stacks, THEN they line up so that the standby region
answers when the active region's health check fails.
"""

from __future__ import annotations

import re

import pytest

from config import load
from tests.support.synth import Synthesized

ENVS = ["dev", "staging", "prod"]
REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([^.]+)\.([a-z_]+)\}$")


def _reference(value: str) -> tuple[str, str, str]:
    match = REFERENCE.match(value)
    assert match, f"{value!r} is not a reference to another resource"
    return match.group(1), match.group(2), match.group(3)


def _answer(synth: Synthesized, name: str, failing_regions: set[str]) -> str:
    """Route 53's failover answer for name: the PRIMARY record while its health check passes, else the
    SECONDARY one. Records and checks are read from the regional stacks; returns the answering region."""
    records = {}
    for role in ("primary", "secondary"):
        stack = synth.stack(role)
        checks = stack["resource"]["aws_route53_health_check"]
        for record in stack["resource"]["aws_route53_record"].values():
            if record["name"] != name:
                continue
            type_, logical, attribute = _reference(record["health_check_id"])
            assert (type_, attribute) == ("aws_route53_health_check", "id")  # its own stack's check
            region = record["set_identifier"]
            assert region == stack["provider"]["aws"][0]["region"], "a record points at its own stack's region"
            checked = checks[logical]["fqdn"]
            assert checked == load(synth.environment).dns.origin_hostname(region), "the check probes that region"
            records[record["failover_routing_policy"]["type"]] = (region, checked)
    assert sorted(records) == ["PRIMARY", "SECONDARY"]
    healthy = {role: region not in failing_regions for role, (region, _) in records.items()}
    return records["PRIMARY"][0] if healthy["PRIMARY"] or not healthy["SECONDARY"] else records["SECONDARY"][0]


@pytest.mark.req("EDGE-4")
@pytest.mark.req("DC-3")
@pytest.mark.parametrize("env", ENVS)
def test_the_standby_region_answers_when_the_active_regions_health_check_fails(synthesized, env):
    # GIVEN the environment's failover records of the API name and their health checks
    synth, config = synthesized[env], load(env)
    primary, secondary = config.regions.primary.name, config.regions.secondary.name
    name = config.dns.api_hostname
    # THEN the active (primary) region answers while healthy, the secondary when the primary's check fails
    assert _answer(synth, name, failing_regions=set()) == primary
    assert _answer(synth, name, failing_regions={primary}) == secondary
    # AND a failed standby changes nothing while the primary is healthy
    assert _answer(synth, name, failing_regions={secondary}) == primary


@pytest.mark.req("EDGE-4")
@pytest.mark.req("DC-3")
def test_the_planned_switch_makes_the_secondary_answer_first(switched_region):
    config = load("dev")
    primary, secondary = config.regions.primary.name, config.regions.secondary.name
    assert _answer(switched_region, config.dns.api_hostname, failing_regions=set()) == secondary
    assert _answer(switched_region, config.dns.api_hostname, failing_regions={secondary}) == primary
    (distribution,) = switched_region.resources("global", "aws_cloudfront_distribution").values()
    (group,) = distribution["origin_group"]
    assert [member["origin_id"] for member in group["member"]] == [secondary, primary]


@pytest.mark.req("EDGE-4")
@pytest.mark.req("EDGE-1")
@pytest.mark.parametrize("env", ENVS)
def test_each_failover_record_aliases_its_own_regions_api_domain_serving_the_shared_name(synthesized, env):
    synth, dns = synthesized[env], load(env).dns
    for role in ("primary", "secondary"):
        domain_logical, domain = next(iter(synth.resources(role, "aws_api_gateway_domain_name").items()))
        assert domain["domain_name"] == dns.api_hostname  # both regions serve the client-facing name
        # the API's own certificate, beside the load balancer's (origin.<region>.<domain>)
        names = sorted(c["domain_name"] for c in synth.resources(role, "aws_acm_certificate").values())
        assert names == sorted(
            [dns.api_hostname, dns.origin_hostname(synth.stack(role)["provider"]["aws"][0]["region"])]
        )
        (failover,) = [r for r in synth.resources(role, "aws_route53_record").values() if r["name"] == dns.api_hostname]
        assert failover["alias"]["name"] == f"${{aws_api_gateway_domain_name.{domain_logical}.regional_domain_name}}"
        assert failover["alias"]["zone_id"] == f"${{aws_api_gateway_domain_name.{domain_logical}.regional_zone_id}}"
        assert "records" not in failover and "ttl" not in failover


@pytest.mark.req("EDGE-4")
@pytest.mark.req("EDGE-3")
@pytest.mark.parametrize("env", ENVS)
def test_origins_are_alias_records_of_the_load_balancers_and_checked_on_the_health_path(synthesized, env):
    synth, config = synthesized[env], load(env)
    for role, plan in (("primary", config.regions.primary), ("secondary", config.regions.secondary)):
        hostname = config.dns.origin_hostname(plan.name)
        (origin,) = [r for r in synth.resources(role, "aws_route53_record").values() if r["name"] == hostname]
        assert origin["type"] == "A" and "records" not in origin and origin["alias"]["evaluate_target_health"] is True
        (check,) = synth.resources(role, "aws_route53_health_check").values()
        assert (check["fqdn"], check["resource_path"], check["type"]) == (hostname, "/health", "HTTPS")
        assert check["request_interval"] == config.edge.health_check_interval_seconds
        assert check["failure_threshold"] == config.edge.health_check_failure_threshold
        for integration in synth.resources(role, "aws_api_gateway_integration").values():
            if integration["type"] == "HTTP_PROXY":
                assert integration["uri"].startswith(f"https://{hostname}/")


@pytest.mark.req("EDGE-3")
@pytest.mark.req("EDGE-5")
@pytest.mark.req("SEC-8")
@pytest.mark.parametrize("env", ENVS)
def test_cloudfront_lives_in_the_global_stack_with_its_us_east_1_pieces(synthesized, env):
    synth, config = synthesized[env], load(env)
    (distribution,) = synth.resources("global", "aws_cloudfront_distribution").values()
    assert distribution["provider"] == "aws.us-east-1"
    assert distribution["aliases"] == [config.dns.cdn_hostname]
    (certificate,) = synth.resources("global", "aws_acm_certificate").values()
    assert certificate["provider"] == "aws.us-east-1" and certificate["domain_name"] == config.dns.cdn_hostname
    assert _reference(distribution["viewer_certificate"]["acm_certificate_arn"])[0] == "aws_acm_certificate_validation"
    (acl,) = synth.resources("global", "aws_wafv2_web_acl").values()
    assert acl["scope"] == "CLOUDFRONT" and acl["provider"] == "aws.us-east-1"
    assert distribution["web_acl_id"].startswith("${aws_wafv2_web_acl.") and distribution["logging_config"]["bucket"]
    # AND each origin's header value is read in its own region from that region's secret
    versions = synth.stack("global")["data"]["aws_secretsmanager_secret_version"]
    for origin, region in zip(
        distribution["origin"], (config.regions.primary.name, config.regions.secondary.name), strict=True
    ):
        assert origin["domain_name"] == config.dns.origin_hostname(region)
        (header,) = origin["custom_header"]
        type_, logical, attribute = _reference(header["value"].replace("data.", "", 1))
        assert (type_, attribute) == ("aws_secretsmanager_secret_version", "secret_string")
        assert versions[logical]["provider"] == f"aws.{region}"
        assert "terraform_remote_state" in versions[logical]["secret_id"]  # the regional stack's output
    (alias_a, alias_aaaa) = sorted(
        (r for r in synth.resources("global", "aws_route53_record").values() if r["name"] == config.dns.cdn_hostname),
        key=lambda r: r["type"],
    )
    assert (alias_a["type"], alias_aaaa["type"]) == ("A", "AAAA")
    assert alias_a["alias"]["name"].startswith("${aws_cloudfront_distribution.")


@pytest.mark.req("EDGE-5")
@pytest.mark.req("EDGE-4")
@pytest.mark.parametrize("env", ENVS)
def test_without_a_hosted_zone_there_are_no_records_and_the_certificates_are_the_users(without_hosted_zone, env):
    synth, config = without_hosted_zone[env], load(env)
    for role in ("primary", "secondary", "global"):
        for type_ in ("aws_route53_record", "aws_route53_health_check", "aws_acm_certificate"):
            assert synth.resources(role, type_) == {}, (role, type_)
    for role in ("primary", "secondary"):
        (domain,) = synth.resources(role, "aws_api_gateway_domain_name").values()
        region = synth.stack(role)["provider"]["aws"][0]["region"]
        assert domain["regional_certificate_arn"].startswith(f"arn:aws:acm:{region}:{config.accounts.own}:")
    (distribution,) = synth.resources("global", "aws_cloudfront_distribution").values()
    assert distribution["viewer_certificate"]["acm_certificate_arn"].startswith("arn:aws:acm:us-east-1:")


@pytest.mark.req("DC-10")
@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("env", ENVS)
def test_api_and_edge_outputs_are_declared_with_descriptions(synthesized, env):
    synth = synthesized[env]
    for role in ("primary", "secondary"):
        outputs = synth.stack(role)["output"]
        for name in (
            "api_id",
            "api_url",
            "api_key_id",
            "api_usage_plan_id",
            "api_stage_arn",
            "health_check_id",
            "api_access_log_group_name",
            "api_execution_log_group_name",
            "api_web_acl_arn",
        ):
            assert outputs[name]["description"], name
    outputs = synth.stack("global")["output"]
    for name in ("cdn_distribution_id", "cdn_domain_name", "cdn_url", "cdn_web_acl_arn", "cdn_log_bucket_name"):
        assert outputs[name]["description"], name


@pytest.mark.req("EDGE-1")
@pytest.mark.parametrize("env", ENVS)
def test_no_resource_is_named_from_a_token_so_its_address_stays_put(synthesized, env):
    # GIVEN every stack of the environment, the API's /health and CORS answers among its resources
    stacks = synthesized[env].stacks.values()
    addresses = [
        f"{type_}.{logical}" for stack in stacks for type_, found in stack["resource"].items() for logical in found
    ]
    # WHEN their Terraform addresses are read THEN none is made from a token: such an address changes whenever
    # code synthesized before it creates one token more, and Terraform would replace the resource
    assert [address for address in addresses if "token" in address.lower()] == []
    # AND GET /health, its method and its mocked answer, is named for what it is
    health = {address.split(".")[0] for address in addresses if "_api_" in address and "-get-health_" in address}
    assert health == {
        f"aws_api_gateway_{kind}" for kind in ("method", "method_response", "integration", "integration_response")
    }
