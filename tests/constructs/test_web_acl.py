"""QA-1 / SEC-8 / OPS-1: the regional web ACL on the load balancer, its rules and its logging."""

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
def test_rate_based_rule_blocks_a_client_above_the_limit(runtime):
    rate = _rules(runtime)["RateLimitPerClient"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rate_based_statement"] == {"limit": 2000, "aggregate_key_type": "IP"}
    priorities = sorted(rule["priority"] for rule in _rules(runtime).values())
    assert priorities == list(range(len(priorities))), "unique priorities, in order"


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
