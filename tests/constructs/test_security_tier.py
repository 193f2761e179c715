"""NET-5 / QA-1: the security-group tier construct says who talks to whom, and nothing more."""

from __future__ import annotations

import pytest

from constructs_lib.security_tier import SecurityTier, SecurityTierProps
from tests.support.constructs import TEST_NAMING, synth_construct

VPC_ID = "vpc-0test"


def _tier(stack, purpose: str, description: str, internet_facing: bool = False) -> SecurityTier:
    props = SecurityTierProps(TEST_NAMING.name(purpose), description, VPC_ID, internet_facing=internet_facing)
    return SecurityTier(stack, purpose, props)


def _payment_platform(stack) -> None:
    """The whole tier matrix of NET-5, as the data-tier and runtime stacks will wire it."""
    alb = _tier(stack, "alb", "Public load balancer", internet_facing=True)
    app = _tier(stack, "app", "Payment service tasks")
    database = _tier(stack, "database", "Aurora PostgreSQL")
    cache = _tier(stack, "cache", "Redis")
    files = _tier(stack, "files", "EFS mount targets")
    rotation = _tier(stack, "rotation", "Secret rotation Lambda")
    alb.allow_from_internet(443, "HTTPS from clients")
    alb.allow_from_internet(80, "HTTP from clients, redirected to HTTPS")
    app.allow_from(alb, 8080, "ALB to the payment service")
    database.allow_from(app, 5432, "Payment service to PostgreSQL")
    database.allow_from(rotation, 5432, "Rotation Lambda to PostgreSQL")
    cache.allow_from(app, 6379, "Payment service to Redis")
    files.allow_from(app, 2049, "Payment service to NFS")
    app.allow_from(alb, 8080, "ALB to the payment service")  # asked twice: still one rule each way


@pytest.fixture(scope="module")
def platform():
    return synth_construct(_payment_platform)


def _group_names(synth) -> dict[str, str]:
    """`${aws_security_group.<logical>.id}` -> physical group name."""
    return {
        f"${{aws_security_group.{logical}.id}}": g["name"]
        for logical, g in synth.resources("aws_security_group").items()
    }


def _rules(synth, type_: str) -> set[tuple]:
    """(group, peer, protocol, port) of every rule; the peer is a group name, a CIDR or a prefix list."""
    names = _group_names(synth)
    found = set()
    for rule in synth.resources(type_).values():
        assert rule["from_port"] == rule["to_port"], rule
        peer = (
            names.get(rule.get("referenced_security_group_id")) or rule.get("cidr_ipv4") or rule.get("prefix_list_id")
        )
        found.add((names[rule["security_group_id"]], peer, rule["ip_protocol"], rule["from_port"]))
    return found


@pytest.mark.req("NET-5")
@pytest.mark.req("QA-1")
def test_the_tier_matrix_admits_exactly_the_traffic_each_tier_needs(platform):
    # GIVEN the ALB, app, database, cache, NFS and rotation tiers wired as NET-5 says
    # WHEN synthesized
    # THEN ingress is exactly: clients to the ALB on 443/80, ALB to app, app and rotation to the
    # database, app to cache and NFS, each on its one port
    assert _rules(platform, "aws_vpc_security_group_ingress_rule") == {
        ("meridian-alb-test", "0.0.0.0/0", "tcp", 443),
        ("meridian-alb-test", "0.0.0.0/0", "tcp", 80),
        ("meridian-app-test", "meridian-alb-test", "tcp", 8080),
        ("meridian-database-test", "meridian-app-test", "tcp", 5432),
        ("meridian-database-test", "meridian-rotation-test", "tcp", 5432),
        ("meridian-cache-test", "meridian-app-test", "tcp", 6379),
        ("meridian-files-test", "meridian-app-test", "tcp", 2049),
    }
    # AND egress is the mirror image: each client may reach only the tiers that admit it
    assert _rules(platform, "aws_vpc_security_group_egress_rule") == {
        ("meridian-alb-test", "meridian-app-test", "tcp", 8080),
        ("meridian-app-test", "meridian-database-test", "tcp", 5432),
        ("meridian-rotation-test", "meridian-database-test", "tcp", 5432),
        ("meridian-app-test", "meridian-cache-test", "tcp", 6379),
        ("meridian-app-test", "meridian-files-test", "tcp", 2049),
    }


@pytest.mark.req("NET-5")
@pytest.mark.req("QA-1")
def test_every_group_and_rule_has_a_description_and_no_inline_rules(platform):
    groups = platform.resources("aws_security_group")
    assert len(groups) == 6
    for group in groups.values():
        assert group["description"] and group["vpc_id"] == VPC_ID
        assert "ingress" not in group and "egress" not in group
        assert group["tags"]["Exposure"] == ("internet" if group["name"] == "meridian-alb-test" else "internal")
    for type_ in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        assert all(rule["description"] for rule in platform.resources(type_).values())
    assert platform.resources("aws_security_group_rule") == {}


REFUSALS = [
    ("internet on an internal tier", lambda t: t["app"].allow_from_internet(443, "x"), "internet ingress on port 443"),
    ("SSH from the internet", lambda t: t["alb"].allow_from_internet(22, "ssh"), "internet ingress on port 22"),
    ("0.0.0.0/0 as a CIDR", lambda t: t["app"].allow_from_cidrs(["0.0.0.0/0"], 8080, "x"), "whole internet"),
    ("::/0 as a CIDR", lambda t: t["app"].allow_from_cidrs(["::/0"], 8080, "x"), "whole internet"),
    ("a rule without description", lambda t: t["app"].allow_from(t["alb"], 8080, " "), "needs a description"),
    ("a port out of range", lambda t: t["app"].allow_from_cidrs(["10.0.0.0/16"], 0, "x"), "port 0"),
    ("a malformed CIDR", lambda t: t["app"].allow_from_cidrs(["10.0.0.1/16"], 443, "x"), "host bits"),
]


@pytest.mark.req("NET-5")
@pytest.mark.parametrize("case,wire,message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_rule_that_would_open_too_much_is_refused_at_synth(case, wire, message):
    def build(stack):
        tiers = {"alb": _tier(stack, "alb", "ALB", internet_facing=True), "app": _tier(stack, "app", "App")}
        wire(tiers)

    with pytest.raises(ValueError, match=message):
        synth_construct(build)


@pytest.mark.req("NET-5")
def test_a_group_without_description_is_refused():
    with pytest.raises(ValueError, match="a description is required"):
        SecurityTierProps("meridian-app-test", "", VPC_ID)
