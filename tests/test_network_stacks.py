"""NET-1, NET-3, NET-4, NET-5, DC-10 on the synthesized regional stacks of every environment.

The whole-stack checks (security groups, log groups) walk every stack, so they keep holding as the
data tier, the runtime and the Lambda functions add their groups and logs.
"""

from __future__ import annotations

import re

import pytest

from config import load
from tests.support.log_groups import log_group_problems

ENVS = ["dev", "staging", "prod"]
VARIANTS = [*ENVS, "dev-nat-instances"]
REGIONAL = ["primary", "secondary"]
ANYWHERE = ("0.0.0.0/0", "::/0")
INTERFACE_SERVICES = {"ecr.api", "ecr.dkr", "secretsmanager", "logs", "kms", "sts", "sns", "kinesis-streams"}
NETWORK_OUTPUTS = {
    "vpc_id",
    "vpc_cidr",
    "availability_zone_ids",
    "public_subnet_ids",
    "private_subnet_ids",
    "database_subnet_ids",
    "public_route_table_id",
    "private_route_table_ids",
    "database_route_table_ids",
    "nat_ids",
    "vpc_endpoint_ids",
    "endpoint_security_group_id",
    "flow_log_group_name",
}


def _target(reference: str) -> tuple[str, str]:
    """`${aws_x.logical.attr}` -> (aws_x, logical)."""
    match = re.fullmatch(r"\$\{(aws_[a-z0-9_]+)\.([\w-]+)\.\w+\}", reference)
    assert match, reference
    return match.group(1), match.group(2)


def _tables_by_tier(stack: dict) -> dict[str, list[str]]:
    """Tier -> the route-table references its subnets are associated with, one per subnet."""
    resources = stack["resource"]
    tier_of = {f"${{aws_subnet.{n}.id}}": s["tags"]["Tier"] for n, s in resources["aws_subnet"].items()}
    tables: dict[str, list[str]] = {}
    for association in resources["aws_route_table_association"].values():
        tables.setdefault(tier_of[association["subnet_id"]], []).append(association["route_table_id"])
    return tables


@pytest.mark.req("NET-1")
@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("role", REGIONAL)
def test_regional_vpc_has_three_tiers_over_the_configured_zones(synthesized, env, role):
    plan = getattr(load(env).regions, role)
    stack = synthesized[env].stack(role)
    (vpc,) = stack["resource"]["aws_vpc"].values()
    assert vpc["cidr_block"] == plan.vpc_cidr
    subnets = list(stack["resource"]["aws_subnet"].values())
    for tier, cidrs in (
        ("public", plan.public_subnets),
        ("private", plan.private_subnets),
        ("database", plan.database_subnets),
    ):
        placed = sorted((s["cidr_block"], s["availability_zone_id"]) for s in subnets if s["tags"]["Tier"] == tier)
        assert placed == sorted(zip(cidrs, plan.availability_zone_ids, strict=True))
    tables = _tables_by_tier(stack)
    assert len(set(tables["private"])) == 3 and len(set(tables["database"])) == 3
    assert not set(tables["private"]) & set(tables["database"]) and not set(tables["public"]) & set(tables["database"])


@pytest.mark.req("NET-1")
@pytest.mark.parametrize("variant", VARIANTS)
def test_no_database_route_table_has_any_route_in_any_stack(every_variant, variant):
    for role in REGIONAL:
        stack = every_variant[variant].stack(role)
        database_tables = set(_tables_by_tier(stack)["database"])
        routes = stack["resource"].get("aws_route", {}).values()
        assert [r for r in routes if r["route_table_id"] in database_tables] == []
        assert all(not t.get("route") for t in stack["resource"]["aws_route_table"].values())  # no inline routes


@pytest.mark.req("NET-3")
@pytest.mark.parametrize("env", ENVS)
def test_every_regional_stack_has_the_endpoints_of_its_own_region(synthesized, env):
    for _, stack, region in synthesized[env].regional_stacks():
        services = {e["service_name"]: e for e in stack["resource"]["aws_vpc_endpoint"].values()}
        assert set(services) == {f"com.amazonaws.{region}.{s}" for s in INTERFACE_SERVICES | {"s3", "dynamodb"}}
        assert all(e["private_dns_enabled"] for e in services.values() if e["vpc_endpoint_type"] == "Interface")


@pytest.mark.req("NET-4")
@pytest.mark.parametrize("env", ENVS)
def test_every_log_group_of_every_stack_uses_the_logs_key_and_the_one_retention(synthesized, env):
    retention_days = load(env).retention.log_days
    stacks = synthesized[env].stacks
    assert [
        problem for name, stack in stacks.items() for problem in log_group_problems(name, stack, env, retention_days)
    ] == []
    groups = sum(len(stack.get("resource", {}).get("aws_cloudwatch_log_group", {})) for stack in stacks.values())
    assert groups >= 2  # at least the flow logs of both regions
    for role in REGIONAL:
        (flow_log,) = synthesized[env].stack(role)["resource"]["aws_flow_log"].values()
        assert (
            flow_log["traffic_type"] == "ALL" and _target(flow_log["log_destination"])[0] == "aws_cloudwatch_log_group"
        )


@pytest.mark.req("NET-5")
@pytest.mark.parametrize("variant", VARIANTS)
def test_security_groups_are_described_per_rule_and_closed_to_the_internet(every_variant, variant):
    for stack_name, stack in every_variant[variant].stacks.items():
        resources = stack.get("resource", {})
        groups = resources.get("aws_security_group", {})
        # GIVEN every group of the stack: described, and no inline rule blocks or legacy rule resources
        assert "aws_security_group_rule" not in resources, stack_name
        for logical, group in groups.items():
            assert group.get("description", "").strip(), f"{stack_name} {logical}"
            assert "ingress" not in group and "egress" not in group, f"{stack_name} {logical}"
        # WHEN looking at every rule THEN it has a description, one protocol and one port
        for type_ in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
            for logical, rule in resources.get(type_, {}).items():
                assert rule.get("description", "").strip(), f"{stack_name} {logical}"
                assert rule["ip_protocol"] in ("tcp", "udp") and rule["from_port"] == rule["to_port"], logical
        # AND only an internet-facing group admits the internet, only on 443 and 80
        for logical, rule in resources.get("aws_vpc_security_group_ingress_rule", {}).items():
            if rule.get("cidr_ipv4") in ANYWHERE or rule.get("cidr_ipv6") in ANYWHERE:
                group = groups[_target(rule["security_group_id"])[1]]
                assert group["tags"]["Exposure"] == "internet" and rule["from_port"] in (443, 80), logical
        # AND each VPC's default group is taken over with no rules
        defaults = resources.get("aws_default_security_group", {}).values()
        assert len(list(defaults)) == len(resources.get("aws_vpc", {}))
        assert all("ingress" not in d and "egress" not in d for d in defaults)


@pytest.mark.req("NET-3")
@pytest.mark.req("NET-5")
@pytest.mark.parametrize("variant", VARIANTS)
def test_endpoint_and_nat_groups_admit_only_their_clients(every_variant, variant):
    config = load("dev" if variant == "dev-nat-instances" else variant)
    for role in REGIONAL:
        plan = getattr(config.regions, role)
        resources = every_variant[variant].stack(role)["resource"]
        names = {f"${{aws_security_group.{n}.id}}": g["name"] for n, g in resources["aws_security_group"].items()}
        ingress: dict[str, set] = {}
        for rule in resources["aws_vpc_security_group_ingress_rule"].values():
            peer = rule.get("cidr_ipv4") or names.get(rule.get("referenced_security_group_id"))
            ingress.setdefault(names[rule["security_group_id"]], set()).add((peer, rule["from_port"]))
        env = config.environment
        assert ingress[f"meridian-endpoints-{env}"] == {(plan.vpc_cidr, 443)}
        if variant == "dev-nat-instances":
            assert ingress[f"meridian-nat-{env}"] == {(cidr, 443) for cidr in plan.private_subnets}
        else:
            assert f"meridian-nat-{env}" not in ingress


@pytest.mark.req("DC-10")
@pytest.mark.parametrize("variant", VARIANTS)
def test_network_outputs_exist_with_descriptions_in_both_regions(every_variant, variant):
    for role in REGIONAL:
        outputs = every_variant[variant].stack(role)["output"]
        expected = NETWORK_OUTPUTS | ({"nat_security_group_id"} if variant == "dev-nat-instances" else set())
        assert expected <= set(outputs)
        for name in expected:
            assert len(outputs[name].get("description", "").split()) >= 4, name
            assert outputs[name]["value"], name
