"""QA-1: the encrypted log group (one key, one retention) and the service role (scoped trust, grown policy)."""

from __future__ import annotations

import pytest

from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.log_group import EncryptedLogGroup, EncryptedLogGroupProps, LogSettings
from constructs_lib.policy import Statement, statement_id
from constructs_lib.service_role import ServiceRole, ServiceRoleProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct


def _key(stack, purpose: str) -> CustomerKey:
    return CustomerKey(stack, purpose, CustomerKeyProps(purpose, TEST_NAMING, TEST_ACCOUNT, TEST_REGION))


def _role(stack, id_: str = "role", source_arn: str | None = None) -> ServiceRole:
    props = ServiceRoleProps(
        name=f"meridian-{id_}-test",
        description="delivers logs",
        service="delivery.amazonaws.com",
        source_account=TEST_ACCOUNT,
        source_arn=source_arn,
    )
    return ServiceRole(stack, id_, props)


@pytest.mark.req("QA-1")
@pytest.mark.req("NET-4")
def test_log_group_uses_the_logs_key_and_the_shared_retention_and_grants_only_itself():
    def build(stack):
        settings = LogSettings(_key(stack, "logs"), 2557)
        for name in ("first", "second"):
            group = EncryptedLogGroup(stack, name, EncryptedLogGroupProps(f"/meridian/{name}-test", settings))
            group.grant_write(_role(stack, f"{name}-writer"))

    synth = synth_construct(build)
    groups = {g["name"]: g for g in synth.resources("aws_cloudwatch_log_group").values()}
    assert set(groups) == {"/meridian/first-test", "/meridian/second-test"}
    (key,) = synth.resources("aws_kms_key")
    assert all(
        g["kms_key_id"] == f"${{aws_kms_key.{key}.arn}}" and g["retention_in_days"] == 2557 for g in groups.values()
    )
    # each writer's policy names its own group and that group's streams, nothing else
    for role_policy in synth.resources("aws_iam_role_policy").values():
        name = role_policy["name"].split("-")[1]
        (grant,) = policy(role_policy["policy"])["Statement"]
        (group_logical,) = [lg for lg, g in synth.resources("aws_cloudwatch_log_group").items() if name in g["name"]]
        arn = f"${{aws_cloudwatch_log_group.{group_logical}.arn}}"
        assert grant["Resource"] == [arn, f"{arn}:log-stream:*"]


@pytest.mark.req("QA-1")
@pytest.mark.parametrize(
    "purpose,days,message",
    [
        ("s3", 365, "encrypted with the 'logs' key, not the 's3' key"),
        ("logs", 2555, "log retention 2555 days is not one CloudWatch accepts; allowed: 1, 3"),
    ],
)
def test_log_settings_refuse_another_key_or_a_retention_cloudwatch_rejects(purpose, days, message):
    def build(stack):
        LogSettings(_key(stack, purpose), days)

    with pytest.raises(ValueError, match=message):
        synth_construct(build)


@pytest.mark.req("QA-1")
def test_service_role_trusts_one_service_for_this_account_and_grows_one_inline_policy():
    def build(stack):
        role = _role(stack, source_arn=f"arn:aws:delivery:{TEST_REGION}:{TEST_ACCOUNT}:thing/*")
        role.add_to_policy(Statement(sid="ReadTheThing", actions=["delivery:Get"], resources=["arn:aws:delivery:::x"]))
        role.add_to_policy(Statement(sid="WriteTheThing", actions=["delivery:Put"], resources=["arn:aws:delivery:::x"]))

    synth = synth_construct(build)
    role = synth.only("aws_iam_role")
    assert "inline_policy" not in role and "managed_policy_arns" not in role  # deprecated arguments
    trust = statement(policy(role["assume_role_policy"]), "ServiceAssumesForThisAccount")
    assert trust["Principal"] == {"Service": "delivery.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": TEST_ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:delivery:{TEST_REGION}:{TEST_ACCOUNT}:thing/*"},
    }
    inline = synth.only("aws_iam_role_policy")
    assert [s["Sid"] for s in policy(inline["policy"])["Statement"]] == ["ReadTheThing", "WriteTheThing"]


@pytest.mark.req("QA-1")
def test_service_role_without_grants_has_no_policy_and_refuses_a_statement_without_resources():
    synth = synth_construct(lambda stack: _role(stack))
    assert synth.resources("aws_iam_role_policy") == {}

    def build(stack):
        _role(stack).add_to_policy(Statement(sid="Everything", actions=["delivery:Put"]))

    with pytest.raises(ValueError, match="statement Everything names no resources"):
        synth_construct(build)


@pytest.mark.req("QA-1")
def test_statement_ids_are_letters_and_digits():
    assert statement_id("flow-logs", "vpc_1") == "FlowLogsVpc1"
