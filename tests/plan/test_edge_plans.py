"""DC-3, EDGE-3, EDGE-4, EDGE-5 under Terraform: the planned region switch touches only DNS and CDN,
and every environment's global and regional stacks plan without a hosted zone too.

The switch (dev with edge.active_region set to the secondary) is planned stack by stack against the
state the session's dev rehearsal applied (`planned`), the way `./meridian review --base` plans a
change against what its base left, and reviewed with the same plan review. The no-zone variant
plans each environment's primary, secondary and global stack against empty state; consumers read
the session rehearsal's producer states (the same outputs exist in both variants).
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tools.tfplan.plan import Plan
from tools.tfplan.review import Review, build_review
from tools.tfplan.workspace import STATE_FILE, StackWorkspace, prepare

ENVS = ["dev", "staging", "prod"]
CHANGED_BY_THE_SWITCH = ("primary", "secondary", "global")
DNS_AND_CDN = {"aws_route53_record", "aws_cloudfront_distribution"}


def _stacks(synth, work: Path, state_root: Path, roles) -> dict[str, StackWorkspace]:
    workspaces = prepare(synth.outdir, work, provider="offline", state_root=state_root)
    return {w.name.rsplit("-", 1)[1]: w for w in workspaces if w.name.rsplit("-", 1)[1] in roles}


@pytest.fixture(scope="session")
def switch_review(planned, switched_region, tmp_path_factory) -> Review:
    """The switch planned against dev's applied state, stack by stack, and reviewed."""
    applied = {role: planned["dev"][role].applied for role in CHANGED_BY_THE_SWITCH}
    state_root = applied["primary"].directory.parent
    head = _stacks(switched_region, tmp_path_factory.mktemp("switch"), state_root, CHANGED_BY_THE_SWITCH)
    plans: list[tuple[str, Plan]] = []
    for role in CHANGED_BY_THE_SWITCH:  # in dependency order
        shutil.copyfile(applied[role].directory / STATE_FILE, head[role].directory / STATE_FILE)
        head[role].init()
        plans.append((head[role].name, head[role].plan()))
    return build_review("dev", "offline", "active_region: primary", plans)


@pytest.mark.req("DC-3")
@pytest.mark.req("EDGE-4")
@pytest.mark.req("EDGE-3")
def test_the_planned_region_switch_only_updates_dns_and_cdn(switch_review):
    # GIVEN dev applied with the primary active WHEN edge.active_region names the secondary
    totals = switch_review.totals()
    # THEN the review finds no data loss, nothing replaced or destroyed and nothing created
    assert switch_review.data_loss == [] and switch_review.destructive == []
    assert totals["create"] == totals["replace"] == totals["destroy"] == 0
    # AND the updates are the two failover records and the distribution's origin order, nothing else
    updated = {type_ for stack in switch_review.stacks for type_ in stack.by_type}
    assert updated == DNS_AND_CDN
    by_stack = {stack.name.rsplit("-", 1)[1]: stack.by_type for stack in switch_review.stacks}
    assert by_stack["primary"] == by_stack["secondary"] == {"aws_route53_record": {"update": 1}}
    assert by_stack["global"] == {"aws_cloudfront_distribution": {"update": 1}}
    assert switch_review.outputs == [] and switch_review.verdict().startswith("in-place updates only")


@pytest.fixture(scope="session")
def no_zone_plans(planned, without_hosted_zone, tmp_path_factory) -> dict[str, dict[str, tuple[dict, Plan]]]:
    root = tmp_path_factory.mktemp("no-zone")

    def plan_environment(env: str) -> dict[str, tuple[dict, Plan]]:
        state_root = planned[env]["primary"].applied.directory.parent
        stacks = _stacks(without_hosted_zone[env], root / env, state_root, CHANGED_BY_THE_SWITCH)
        found = {}
        for role, workspace in stacks.items():
            workspace.init()
            found[role] = (workspace.validate(), workspace.plan())
        return found

    with ThreadPoolExecutor(max_workers=len(ENVS)) as pool:
        return dict(zip(ENVS, pool.map(plan_environment, ENVS), strict=True))


@pytest.mark.req("EDGE-5")
@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ENVS)
def test_every_stack_plans_without_a_hosted_zone(no_zone_plans, env):
    for role, (validation, plan) in no_zone_plans[env].items():
        assert validation["valid"] is True and validation["warning_count"] == 0, (role, validation["diagnostics"])
        counts = plan.counts()
        assert counts["update"] == counts["replace"] == counts["destroy"] == 0, role
        created = plan.count_by_type()
        assert not {"aws_route53_record", "aws_route53_health_check", "aws_acm_certificate"} & set(created), role
    (distribution,) = no_zone_plans[env]["global"][1].created("aws_cloudfront_distribution")
    assert distribution.after["viewer_certificate"][0]["acm_certificate_arn"].startswith("arn:aws:acm:us-east-1:")


@pytest.mark.req("EDGE-4")
@pytest.mark.req("EDGE-3")
@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ENVS)
def test_with_a_hosted_zone_every_stack_plans_its_records_checks_and_certificates(planned, env):
    created = {role: planned[env][role].plan.count_by_type() for role in CHANGED_BY_THE_SWITCH}
    for role in ("primary", "secondary"):
        # the origin alias, the API failover record, and one validation record per certificate name
        # (the API's api.<domain> and the load balancer's origin.<region>.<domain>)
        assert created[role]["aws_route53_health_check"] == 1 and created[role]["aws_route53_record"] == 4
        assert created[role]["aws_api_gateway_domain_name"] == 1 and created[role]["aws_acm_certificate"] == 2
    assert created["global"]["aws_cloudfront_distribution"] == created["global"]["aws_acm_certificate"] == 1
    assert created["global"]["aws_route53_record"] == 3  # A and AAAA alias, one validation record
