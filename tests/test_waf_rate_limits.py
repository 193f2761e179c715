"""SEC-8: every web ACL counts requests per client where it can see the client.

CloudFront and the API stage see the client's own address; the load balancer answers only
requests relayed by CloudFront or API Gateway, so the address it sees is a relay's. These tests read
the synthesized JSON of every environment, find what each ACL protects (the distribution's
`web_acl_id`, the regional associations), and check its rate-based rules against the config.
"""

from __future__ import annotations

import re

import pytest

from config import load
from constructs_lib.payment_tasks import HEALTH_PATH
from constructs_lib.web_acl import UNRELAYED_REQUESTS_PER_5_MINUTES

ENVS = ["dev", "staging", "prod"]
REGIONAL = ["primary", "secondary"]
_ACL_REF = re.compile(r"^\$\{aws_wafv2_web_acl\.([^.]+)\.arn\}$")
_TARGET_REF = re.compile(r"^\$\{(aws_lb|aws_api_gateway_stage)\.[^.]+\.arn\}$")


def _acl(reference: str) -> str:
    found = _ACL_REF.match(reference)
    assert found, f"not a reference to a web ACL of this stack: {reference}"
    return found.group(1)


def _protected(synth, role: str) -> dict[str, set[str]]:
    """Web ACL logical ID -> what it protects in this stack: aws_lb, aws_api_gateway_stage or cloudfront."""
    protected: dict[str, set[str]] = {logical: set() for logical in synth.resources(role, "aws_wafv2_web_acl")}
    for association in synth.resources(role, "aws_wafv2_web_acl_association").values():
        target = _TARGET_REF.match(association["resource_arn"])
        assert target, f"a web ACL association with an unexpected target: {association['resource_arn']}"
        protected[_acl(association["web_acl_arn"])].add(target.group(1))
    for distribution in synth.resources(role, "aws_cloudfront_distribution").values():
        protected[_acl(distribution["web_acl_id"])].add("cloudfront")
    return protected


def _rate_statements(acl: dict) -> list[tuple[dict, dict]]:
    """(rule, rate_based_statement) of every rate-based rule of the ACL."""
    return [
        (rule, rule["statement"]["rate_based_statement"])
        for rule in acl["rule"]
        if "rate_based_statement" in rule["statement"]
    ]


@pytest.mark.req("SEC-8")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize("env", ENVS)
def test_the_load_balancers_acl_never_counts_relayed_requests_by_the_relays_address(synthesized, env, role):
    # GIVEN the regional stack of a shipped environment
    synth = synthesized[env]
    acls = synth.resources(role, "aws_wafv2_web_acl")
    # WHEN the ACL that protects the load balancer is found through its association
    guarding = [logical for logical, targets in _protected(synth, role).items() if "aws_lb" in targets]
    assert len(guarding) == 1, f"expected one ACL on the load balancer, found {guarding}"
    (logical,) = guarding
    rates = _rate_statements(acls[logical])
    # THEN it still has a blocking rate limit (SEC-8), and none of its rate rules aggregates relayed
    # requests by the connection's address (IP is also the provider's default when aggregate_key_type is
    # absent): only the health path, which Route 53 checks directly, is counted per connecting address
    assert rates, "the load balancer's ACL has no rate-based rule"
    per_address = [(rule, s) for rule, s in rates if s.get("aggregate_key_type", "IP") == "IP"]
    assert len(per_address) == 1, [rule["name"] for rule, _ in per_address]
    ((health_rule, health),) = per_address
    assert health_rule["action"] == {"block": {}}
    assert health["scope_down_statement"]["byte_match_statement"] == {
        "search_string": HEALTH_PATH,
        "field_to_match": {"uri_path": {}},
        "positional_constraint": "EXACTLY",
        "text_transformation": [{"priority": 0, "type": "NONE"}],
    }, f"{health_rule['name']} counts more than the health path per relay address"
    assert health["limit"] == UNRELAYED_REQUESTS_PER_5_MINUTES
    # AND it counts per client address as CloudFront and API Gateway forward it, at the configured limit;
    # a request whose forwarded address is missing or malformed is not counted here (the edges counted it)
    forwarded = [(rule, s) for rule, s in rates if s["aggregate_key_type"] == "FORWARDED_IP"]
    assert len(forwarded) == 1, [rule["name"] for rule, _ in rates]
    ((rule, statement),) = forwarded
    assert rule["action"] == {"block": {}}
    assert statement["forwarded_ip_config"] == {"header_name": "X-Forwarded-For", "fallback_behavior": "NO_MATCH"}
    assert statement["limit"] == load(env).edge.rate_limits.origin_per_forwarded_client


@pytest.mark.req("SEC-8")
@pytest.mark.parametrize("env", ENVS)
def test_every_acl_that_sees_clients_directly_limits_each_client_address(synthesized, env):
    # GIVEN every stack of a shipped environment and its configured per-client limits
    synth = synthesized[env]
    expected = {"cloudfront": "cdn_per_client", "aws_api_gateway_stage": "api_per_client"}
    seen: dict[str, int] = {}
    for role in (*REGIONAL, "global"):
        acls = synth.resources(role, "aws_wafv2_web_acl")
        for logical, targets in _protected(synth, role).items():
            # WHEN an ACL protects an entry point that clients connect to themselves
            direct = targets & set(expected)
            if not direct:
                continue
            # THEN it protects nothing else (a relay's address would share one client's limit), and it
            # blocks each client address above that entry point's configured limit
            assert targets == direct and len(direct) == 1, f"{role} {logical} protects {sorted(targets)}"
            (entry,) = direct
            per_client = [
                (rule, s) for rule, s in _rate_statements(acls[logical]) if s.get("aggregate_key_type", "IP") == "IP"
            ]
            assert len(per_client) == 1, f"{role} {logical} ({entry}) has no per-client rate limit"
            ((rule, statement),) = per_client
            assert rule["action"] == {"block": {}}
            assert statement["limit"] == getattr(load(env).edge.rate_limits, expected[entry]), (role, entry)
            assert "scope_down_statement" not in statement, "every request counts, not a subset"
            seen[f"{role}/{entry}"] = statement["limit"]
    # AND that holds for CloudFront and for the API stage of both regions
    assert set(seen) == {"global/cloudfront", "primary/aws_api_gateway_stage", "secondary/aws_api_gateway_stage"}
