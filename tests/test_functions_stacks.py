"""The Lambda functions as the regional stacks compose them (LAM-1..LAM-4, SEC-4, SEC-5, OPS-1).

moto does not enforce IAM, so what the function tests cannot show is proven here, on the
synthesized policies: who may publish, rotate, read and send, on which resources and keys.
"""

from __future__ import annotations

import json

import pytest

from config import load
from tests.support.iam import ONLY_ON_EVERYTHING

REGIONAL = ("primary", "secondary")


def _ref(type_: str, logical: str, attribute: str = "arn") -> str:
    return f"${{{type_}.{logical}.{attribute}}}"


def _logical(env, role: str, type_: str, name_part: str) -> str:
    (found,) = [
        logical
        for logical, body in env.resources(role, type_).items()
        if name_part in str(body.get("name") or body.get("function_name") or logical)
    ]
    return found


def _role_policy(env, role: str, function: str) -> list[dict]:
    role_logical = _logical(env, role, "aws_iam_role", f"-{function}-")
    (policy,) = [
        json.loads(body["policy"])["Statement"]
        for body in env.resources(role, "aws_iam_role_policy").values()
        if body["role"] == _ref("aws_iam_role", role_logical, "id")
    ]
    return policy


def _allows(statements: list[dict], action: str, resource: str) -> list[dict]:
    def listed(value, wanted):
        return wanted in (value if isinstance(value, list) else [value])

    return [
        s
        for s in statements
        if s["Effect"] == "Allow" and listed(s["Action"], action) and listed(s["Resource"], resource)
    ]


def _key(env, role: str, purpose: str) -> str:
    return _logical(env, role, "aws_kms_key", f"{purpose}_key")


@pytest.mark.req("LAM-2", "SEC-5")
@pytest.mark.parametrize("role", REGIONAL)
def test_the_notifiers_role_may_publish_to_its_topic_with_the_sns_key_and_the_keys_policy_lets_it(prod, role):
    # GIVEN the payment events topic, encrypted with the SNS key, and the notifier's role
    topic_logical = _logical(prod, role, "aws_sns_topic", "payment-events")
    topic = prod.resources(role, "aws_sns_topic")[topic_logical]
    sns_key = _key(prod, role, "sns")
    assert topic["kms_master_key_id"] == _ref("aws_kms_key", sns_key)
    statements = _role_policy(prod, role, "notifier")
    notifier_role = _ref("aws_iam_role", _logical(prod, role, "aws_iam_role", "-notifier-"))
    # THEN its IAM policy allows sns:Publish on that topic, and the key's data-key actions through SNS
    assert _allows(statements, "sns:Publish", _ref("aws_sns_topic", topic_logical))
    (key_grant,) = _allows(statements, "kms:GenerateDataKey*", _ref("aws_kms_key", sns_key))
    assert "kms:Decrypt" in key_grant["Action"]
    assert key_grant["Condition"]["StringEquals"]["kms:ViaService"].startswith("sns.")
    # AND the SNS key's own policy names that role for the same actions, through SNS only
    key_policy = json.loads(prod.resources(role, "aws_kms_key")[sns_key]["policy"])["Statement"]
    (trusted,) = [s for s in key_policy if s.get("Principal", {}).get("AWS") == notifier_role]
    assert set(trusted["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    assert trusted["Condition"]["StringEquals"]["kms:ViaService"].startswith("sns.")
    # AND the function publishes to that topic (its environment names it)
    notifier = prod.resources(role, "aws_lambda_function")[_logical(prod, role, "aws_lambda_function", "-notifier-")]
    assert notifier["environment"]["variables"]["TOPIC_ARN"] == _ref("aws_sns_topic", topic_logical)


@pytest.mark.req("LAM-1", "SEC-4", "SEC-5")
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_both_database_secrets_rotate_every_30_days_with_a_role_scoped_to_them_and_their_key(synthesized, name):
    env = synthesized[name]
    secrets = env.resources("primary", "aws_secretsmanager_secret")  # also the origin header's, which is not rotated
    secret_arns = sorted(
        _ref("aws_secretsmanager_secret", logical) for logical in secrets if "_credentials_" in logical
    )
    assert len(secret_arns) == 2
    function = _logical(env, "primary", "aws_lambda_function", "-db-rotation-")
    # GIVEN the master and application secrets WHEN the primary stack is synthesized
    # THEN each rotates with the rotation function every 30 days, after Secrets Manager may invoke it
    rotations = env.resources("primary", "aws_secretsmanager_secret_rotation").values()
    assert sorted(r["secret_id"].replace(".id}", ".arn}") for r in rotations) == secret_arns
    permissions = env.resources("primary", "aws_lambda_permission")
    for rotation in rotations:
        assert rotation["rotation_lambda_arn"] == _ref("aws_lambda_function", function)
        assert rotation["rotation_rules"] == {"automatically_after_days": 30}
        (permission,) = [permissions[d.split(".")[1]] for d in rotation["depends_on"]]
        assert permission["principal"] == "secretsmanager.amazonaws.com"
        assert permission["source_arn"] == rotation["secret_id"].replace(".id}", ".arn}")
        assert permission["source_account"] == env.stack("primary")["provider"]["aws"][0]["allowed_account_ids"][0]
    # AND its role has the rotation calls on those two secrets only, GetRandomPassword, the secrets key, and
    # the replicas' key in the secondary region (Secrets Manager re-encrypts each new version with it, DC-3)
    statements = _role_policy(env, "primary", "db-rotation")
    for action in ("GetSecretValue", "PutSecretValue", "UpdateSecretVersionStage", "DescribeSecret"):
        (grant,) = [s for s in statements if f"secretsmanager:{action}" in s["Action"]]
        assert sorted(grant["Resource"]) == secret_arns
    (random,) = [s for s in statements if "secretsmanager:GetRandomPassword" in s["Action"]]
    assert random["Action"] == "secretsmanager:GetRandomPassword" and random["Resource"] == "*"
    key_grants = {s["Resource"]: s for s in statements if any(a.startswith("kms:") for a in _list(s["Action"]))}
    (replica_key,) = [k for k in env.resources("primary", "aws_kms_key") if "secrets-replica-key" in k]
    primary_key, replica_key = (_ref("aws_kms_key", k) for k in (_key(env, "primary", "secrets"), replica_key))
    assert set(key_grants) == {primary_key, replica_key}
    regions = load(name).regions
    assert key_grants[primary_key]["Condition"]["StringEquals"]["kms:ViaService"] == (
        f"secretsmanager.{regions.primary.name}.amazonaws.com"
    )
    assert key_grants[replica_key]["Condition"]["StringEquals"]["kms:ViaService"] == (
        f"secretsmanager.{regions.secondary.name}.amazonaws.com"
    )
    assert sorted(_list(key_grants[replica_key]["Action"])) == ["kms:Encrypt", "kms:GenerateDataKey"]


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


@pytest.mark.req("SEC-5")
@pytest.mark.parametrize("role", REGIONAL)
def test_no_function_role_grants_a_data_action_on_everything(prod, role):
    for function in prod.resources(role, "aws_lambda_function").values():
        purpose = function["function_name"].removeprefix("meridian-").removesuffix("-prod")
        for statement in _role_policy(prod, role, purpose):
            if statement["Resource"] == "*":
                assert set(_list(statement["Action"])) <= ONLY_ON_EVERYTHING, (purpose, statement)


@pytest.mark.req("LAM-1", "SEC-4")
def test_rotation_runs_in_the_private_subnets_with_its_tier_only_in_the_primary_region(prod):
    (rotation,) = [
        f for f in prod.resources("primary", "aws_lambda_function").values() if "rotation" in f["function_name"]
    ]
    groups = prod.resources("primary", "aws_security_group")
    tier = _logical(prod, "primary", "aws_security_group", "meridian-rotation-")
    assert rotation["vpc_config"]["security_group_ids"] == [_ref("aws_security_group", tier, "id")]
    subnets = prod.resources("primary", "aws_subnet")
    assert {subnets[s.split(".")[1]]["tags"]["Tier"] for s in rotation["vpc_config"]["subnet_ids"]} == {"private"}
    assert "meridian-rotation-prod" in {g["name"] for g in groups.values()}
    # the secondary region holds no secret, so no rotation function and no rotation tier
    assert not [
        f for f in prod.resources("secondary", "aws_lambda_function").values() if "rotation" in f["function_name"]
    ]
    assert "meridian-rotation-prod" not in {
        g["name"] for g in prod.resources("secondary", "aws_security_group").values()
    }
    assert not prod.resources("secondary", "aws_secretsmanager_secret_rotation")


@pytest.mark.req("LAM-4")
@pytest.mark.parametrize("role", REGIONAL)
def test_the_stream_processor_reads_the_regions_stream_with_partial_failures_bisect_age_and_an_on_failure_queue(
    prod, role
):
    stream = _logical(prod, role, "aws_kinesis_stream", "payments")
    (mapping,) = [
        m
        for m in prod.resources(role, "aws_lambda_event_source_mapping").values()
        if m["event_source_arn"] == _ref("aws_kinesis_stream", stream)
    ]
    processor = _logical(prod, role, "aws_lambda_function", "-stream-processor-")
    failures = _logical(prod, role, "aws_sqs_queue", "payment-stream-failures")
    assert mapping["function_name"] == _ref("aws_lambda_function", processor)
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["bisect_batch_on_function_error"] is True
    assert 60 <= mapping["maximum_record_age_in_seconds"] <= 21600
    assert mapping["maximum_retry_attempts"] >= 1
    assert mapping["destination_config"] == {"on_failure": {"destination_arn": _ref("aws_sqs_queue", failures)}}
    # AND its role may read that stream and send to the failure queue and the notifier's queue
    statements = _role_policy(prod, role, "stream-processor")
    assert _allows(statements, "kinesis:GetRecords", _ref("aws_kinesis_stream", stream))
    assert _allows(statements, "sqs:SendMessage", _ref("aws_sqs_queue", failures))
    assert _allows(
        statements,
        "sqs:SendMessage",
        _ref("aws_sqs_queue", _logical(prod, role, "aws_sqs_queue", "meridian-payment-events-prod")),
    )


@pytest.mark.req("LAM-2")
@pytest.mark.parametrize("role", REGIONAL)
def test_the_notifier_is_fed_by_its_queue_which_redrives_to_its_dead_letters(prod, role):
    queues = prod.resources(role, "aws_sqs_queue")
    events = _logical(prod, role, "aws_sqs_queue", "meridian-payment-events-prod")
    dead = _logical(prod, role, "aws_sqs_queue", "payment-events-dead-letters")
    notifier = prod.resources(role, "aws_lambda_function")[_logical(prod, role, "aws_lambda_function", "-notifier-")]
    (mapping,) = [
        m
        for m in prod.resources(role, "aws_lambda_event_source_mapping").values()
        if m["event_source_arn"] == _ref("aws_sqs_queue", events)
    ]
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert json.loads(queues[events]["redrive_policy"])["deadLetterTargetArn"] == _ref("aws_sqs_queue", dead)
    assert queues[events]["visibility_timeout_seconds"] >= 6 * notifier["timeout"]
    assert notifier["environment"]["variables"]["DEAD_LETTER_QUEUE_URL"] == _ref("aws_sqs_queue", dead, "url")
    sqs_key = _ref("aws_kms_key", _key(prod, role, "sqs"))
    assert all(q["kms_master_key_id"] == sqs_key for q in queues.values())


@pytest.mark.req("LAM-3", "OPS-1")
@pytest.mark.parametrize("role", REGIONAL)
def test_every_function_logs_to_its_own_group_with_the_logs_key_and_seven_years_in_prod(prod, role):
    groups = prod.resources(role, "aws_cloudwatch_log_group")
    logs_key = _ref("aws_kms_key", _key(prod, role, "logs"))
    lambda_key = _ref("aws_kms_key", _key(prod, role, "lambda"))
    functions = prod.resources(role, "aws_lambda_function").values()
    assert len(functions) == (3 if role == "primary" else 2)
    for function in functions:
        (group,) = [g for g in groups.values() if g["name"] == f"/aws/lambda/{function['function_name']}"]
        assert group["kms_key_id"] == logs_key and group["retention_in_days"] == 2557
        assert function["logging_config"]["log_group"].endswith(".name}")
        assert function["tracing_config"] == {"mode": "Active"}
        assert function["kms_key_arn"] == lambda_key
        assert function["reserved_concurrent_executions"] >= 1
        assert function["filename"].startswith("assets/") and function["filename"].endswith(".zip")
        assert len(function["source_code_hash"]) == 44  # base64 SHA-256 of the zip
