"""DC-4, DC-8: every stack of every environment initializes, validates cleanly and plans under Terraform;
every taggable resource plans the six tags."""

import copy

import pytest

from config import load
from tests.support.synth import ROLES
from tests.support.tags import planned_tag_problems
from tools.tfplan.plan import Plan

ENVS = ["dev", "staging", "prod"]

# What the network of one regional stack creates in the default NAT mode (gateways), by type; the
# types later issues also create (security groups, rules, roles, log groups) are counted at least.
NETWORK = {
    "aws_vpc": 1,
    "aws_default_security_group": 1,
    "aws_internet_gateway": 1,
    "aws_subnet": 9,
    "aws_route_table": 7,
    "aws_route_table_association": 9,
    "aws_route": 4,
    "aws_eip": 3,
    "aws_nat_gateway": 3,
    "aws_vpc_endpoint": 10,
    "aws_flow_log": 1,
}
NETWORK_AT_LEAST = {"aws_security_group": 1, "aws_vpc_security_group_ingress_rule": 1, "aws_iam_role": 1}


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("role", ROLES)
def test_validate_reports_zero_errors_and_zero_warnings(planned, env, role):
    validation = planned[env][role].validation
    assert validation["valid"] is True
    assert validation["error_count"] == 0 and validation["warning_count"] == 0, validation["diagnostics"]


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ENVS)
def test_first_plans_only_create_and_count_what_each_stack_owns(planned, env):
    stacks = planned[env]
    for role in ROLES:
        counts = stacks[role].plan.counts()
        assert counts["update"] == counts["replace"] == counts["destroy"] == 0, role
    # state bucket, its access logs, and both again in the secondary region (DC-3), replicated
    assert stacks["state"].plan.count_by_type() == {
        "aws_kms_key": 2,
        "aws_kms_alias": 2,
        "aws_dynamodb_table": 1,
        "aws_s3_bucket": 4,
        "aws_s3_bucket_versioning": 4,
        "aws_s3_bucket_server_side_encryption_configuration": 4,
        "aws_s3_bucket_public_access_block": 4,
        "aws_s3_bucket_ownership_controls": 4,
        "aws_s3_bucket_lifecycle_configuration": 4,
        "aws_s3_bucket_policy": 4,
        "aws_s3_bucket_logging": 2,
        "aws_s3_bucket_replication_configuration": 1,
        "aws_iam_role": 1,
        "aws_iam_role_policy": 1,
    }
    for role in ("primary", "secondary"):
        created = stacks[role].plan.count_by_type()
        # the region's 12 keys; the primary also keeps the key of the database secrets' replicas (DC-3)
        assert created["aws_kms_key"] == created["aws_kms_alias"] == (13 if role == "primary" else 12), role
        # the alert topic and the payment events topic (LAM-2)
        assert created["aws_sns_topic"] == created["aws_sns_topic_policy"] == 2
        # rotation (primary only, where the secrets are), notifier, stream processor
        assert created["aws_lambda_function"] == (3 if role == "primary" else 2), role
        assert created["aws_lambda_event_source_mapping"] == 2, role
        assert {type_: created.get(type_, 0) for type_ in NETWORK} == NETWORK, role
        assert all(created.get(type_, 0) >= count for type_, count in NETWORK_AT_LEAST.items()), role
        # documents, ALB access logs, AWS Config deliveries and their access-log target, the API's mutual-TLS
        # truststore; the event stream; AWS Backup
        assert created["aws_s3_bucket"] == 5 and created["aws_kinesis_stream"] == 1
        assert created["aws_backup_vault"] == created["aws_backup_plan"] == 1
    assert stacks["secondary"].plan.count_by_type()["aws_s3_bucket_replication_configuration"] == 1
    peer_roles = len(load(env).accounts.peers)  # SEC-6: one role and its policy per peer
    bucket = (
        "aws_s3_bucket",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
    )
    # CloudFront (EDGE-3) with its us-east-1 certificate, web ACL and its log group, the logs key and the log
    # bucket with its own key; the certificate's validation record and the A and AAAA alias records (EDGE-4)
    assert stacks["global"].plan.count_by_type() == {
        "aws_budgets_budget": 1,
        "aws_iam_role": peer_roles,
        "aws_iam_role_policy": peer_roles,
        "aws_cloudfront_distribution": 1,
        "aws_cloudfront_response_headers_policy": 1,
        "aws_acm_certificate": 1,
        "aws_acm_certificate_validation": 1,
        "aws_wafv2_web_acl": 1,
        "aws_wafv2_web_acl_logging_configuration": 1,
        "aws_cloudwatch_log_group": 1,
        "aws_kms_key": 2,
        "aws_kms_alias": 2,
        "aws_route53_record": 3,
        **dict.fromkeys(bucket, 1),
    }


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ENVS)
def test_planned_values_carry_tags_encryption_and_protection(planned, env):
    state = planned[env]["state"].plan
    table = state.only_created("aws_dynamodb_table").after
    assert table["deletion_protection_enabled"] is (env == "prod")
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["tags_all"]["Environment"] == env and table["tags_all"]["ManagedBy"] == "cdktf"
    for change in planned[env]["primary"].plan.created("aws_kms_key"):
        assert change.after["enable_key_rotation"] is True
        assert change.after_unknown.get("arn") is True  # computed by AWS, unknown until apply


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ENVS)
def test_consumer_stack_plans_with_the_producers_applied_outputs(planned, env):
    topic_arn = planned[env]["primary"].outputs["alert_topic_arn"]
    assert topic_arn.startswith("arn:aws:sns:us-east-1:")
    budget = planned[env]["global"].plan.only_created("aws_budgets_budget").after
    assert {arn for n in budget["notification"] for arn in n["subscriber_sns_topic_arns"]} == {topic_arn}


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ENVS)
def test_a_second_plan_after_apply_is_empty_for_every_stack(planned, env):
    changed = {role: planned[env][role].applied.plan().counts() for role in ROLES}
    assert {role: counts for role, counts in changed.items() if any(counts.values())} == {}


@pytest.mark.req("DC-8")
@pytest.mark.parametrize("env", ENVS)
def test_every_taggable_resource_plans_the_six_tags_with_this_environments_values(planned, env):
    expected = load(env).default_tags()
    checked, problems = 0, []
    for role in ROLES:
        taggable, found = planned_tag_problems(f"meridian-{env}-{role}", planned[env][role].plan, expected)
        checked, problems = checked + taggable, problems + found
    assert problems == []
    assert checked >= 20, "the plans hold the taggable resources (keys, aliases, buckets, table, topics, budget)"


@pytest.mark.req("DC-8")
def test_the_planned_tag_check_bites_on_an_overridden_owner(planned):
    # GIVEN the dev state plan in which one resource's tags_all carries another owner
    raw = copy.deepcopy(planned["dev"]["state"].plan.raw)
    change = next(rc for rc in raw["resource_changes"] if rc["type"] == "aws_dynamodb_table")
    change["change"]["after"]["tags_all"]["Owner"] = "someone-else"
    # THEN the check names the resource and the wrong value
    _, problems = planned_tag_problems("meridian-dev-state", Plan(raw), load("dev").default_tags())
    assert len(problems) == 1 and "aws_dynamodb_table" in problems[0] and "someone-else" in problems[0]
