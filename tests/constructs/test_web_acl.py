"""QA-1 / SEC-8 / OPS-1: the web ACL construct: its rules, whose address its rate limit counts, its logging."""

from __future__ import annotations

import pytest

from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.log_group import LogSettings
from constructs_lib.web_acl import WebAcl, WebAclProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, synth_construct
from tests.support.runtime import address


def _rules(synth) -> dict[str, dict]:
    return {rule["name"]: rule for rule in synth.only("aws_wafv2_web_acl")["rule"]}


@pytest.mark.req("SEC-8")
@pytest.mark.req("QA-1")
def test_web_acl_runs_the_four_managed_groups_in_blocking_mode(runtime):
    rules = _rules(runtime)
    managed = {name: rule for name, rule in rules.items() if "managed_rule_group_statement" in rule["statement"]}
    assert {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    } <= set(managed)
    for name, rule in managed.items():
        assert rule["statement"]["managed_rule_group_statement"]["vendor_name"] == "AWS"
        # "none" keeps the group's own block actions; "count" would only watch
        assert rule["override_action"] == {"none": {}}, name
        assert rule["visibility_config"]["cloudwatch_metrics_enabled"] is True


@pytest.mark.req("SEC-8")
def test_only_the_hosting_provider_list_is_counted_rather_than_blocked(runtime):
    overrides = {
        name: rule["statement"]["managed_rule_group_statement"].get("rule_action_override", [])
        for name, rule in _rules(runtime).items()
        if "managed_rule_group_statement" in rule["statement"]
    }
    counted = {(group, o["name"]) for group, found in overrides.items() for o in found}
    assert counted == {("AWSManagedRulesAnonymousIpList", "HostingProviderIPList")}


@pytest.mark.req("SEC-8")
@pytest.mark.req("QA-1")
def test_behind_relays_the_rate_rule_blocks_each_forwarded_client_address_not_the_relays(runtime):
    # GIVEN the load balancer's ACL, built with the header its relays write the client's address into
    rules = _rules(runtime)
    # THEN its rate rule counts the first address of X-Forwarded-For, never the connection's (a relay's),
    # and a request without a valid address there is not counted (the edges counted it); only the health
    # path, which Route 53 requests directly, is also counted per connecting address
    assert [name for name, rule in rules.items() if "rate_based_statement" in rule["statement"]] == [
        "RateLimitPerForwardedClient",
        "RateLimitUnrelayedPathPerAddress",
    ]
    rate = rules["RateLimitPerForwardedClient"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rate_based_statement"] == {
        "limit": 2000,
        "aggregate_key_type": "FORWARDED_IP",
        "forwarded_ip_config": {"header_name": "X-Forwarded-For", "fallback_behavior": "NO_MATCH"},
    }
    priorities = sorted(rule["priority"] for rule in rules.values())
    assert priorities == list(range(len(priorities))), "unique priorities, in order"


@pytest.mark.req("SEC-8")
@pytest.mark.req("QA-1")
def test_where_clients_connect_themselves_the_rate_rule_blocks_each_client_address():
    # GIVEN an ACL without a client address header (CloudFront, an API stage), with a limit from config
    def build(stack):
        key = CustomerKey(stack, "logs", CustomerKeyProps("logs", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        WebAcl(stack, "api", WebAclProps(TEST_NAMING, "api", LogSettings(key, 365), requests_per_5_minutes=750))

    # WHEN it is synthesized THEN its rate rule counts the connection's address at that limit
    rate = _rules(synth_construct(build))["RateLimitPerClient"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rate_based_statement"] == {"limit": 750, "aggregate_key_type": "IP"}


@pytest.mark.req("SEC-8")
@pytest.mark.parametrize("limit", [9, 2_000_000_001])
def test_a_rate_limit_outside_what_waf_accepts_is_refused(limit):
    def build(stack):
        key = CustomerKey(stack, "logs", CustomerKeyProps("logs", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        with pytest.raises(ValueError, match=f"web ACL api: rate limit {limit}; allowed: 10 to 2000000000"):
            WebAclProps(TEST_NAMING, "api", LogSettings(key, 365), requests_per_5_minutes=limit)

    synth_construct(build)


@pytest.mark.req("SEC-8")
def test_acl_is_regional_allows_by_default_and_protects_the_load_balancer(runtime):
    acl = runtime.only("aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL" and acl["default_action"] == {"allow": {}}
    association = runtime.only("aws_wafv2_web_acl_association")
    assert association["resource_arn"] == f"${{{address(runtime, 'aws_lb', 'alb')}.arn}}"
    assert association["web_acl_arn"] == f"${{{address(runtime, 'aws_wafv2_web_acl', 'waf')}.arn}}"


@pytest.mark.req("SEC-8")
@pytest.mark.req("OPS-1")
def test_waf_logs_to_an_aws_waf_logs_group_with_the_logs_key_and_retention(runtime):
    logging = runtime.only("aws_wafv2_web_acl_logging_configuration")
    group_address = address(runtime, "aws_cloudwatch_log_group", "waf/logs")
    group = runtime.resources("aws_cloudwatch_log_group")[group_address.split(".")[1]]
    assert group["name"] == "aws-waf-logs-meridian-alb-test"
    assert group["kms_key_id"] == f"${{{address(runtime, 'aws_kms_key', 'keys/logs')}.arn}}"
    assert group["retention_in_days"] == 365
    assert logging["log_destination_configs"] == [f"${{{group_address}.arn}}"]
    assert logging["redacted_fields"] == [
        {"single_header": {"name": "authorization"}},
        {"single_header": {"name": "cookie"}},
    ]


@pytest.mark.req("SEC-8")
def test_a_cloudfront_acl_is_attached_by_the_distribution_not_associated():
    def build(stack):
        key = CustomerKey(stack, "logs", CustomerKeyProps("logs", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        acl = WebAcl(stack, "cdn", WebAclProps(TEST_NAMING, "cdn", LogSettings(key, 365), "CLOUDFRONT"))
        with pytest.raises(ValueError, match="attached by the distribution"):
            acl.associate("alb", "arn")

    synth = synth_construct(build)
    assert synth.only("aws_wafv2_web_acl")["scope"] == "CLOUDFRONT"
    assert synth.resources("aws_wafv2_web_acl_association") == {}
