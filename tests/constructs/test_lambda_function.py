"""QA-1 / LAM-3: the one Lambda construct, synthesized alone: code, logs, tracing, concurrency, key, DLQ, VPC."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.lambda_function import LambdaFunction, LambdaFunctionProps, VpcPlacement
from constructs_lib.log_group import LogSettings
from constructs_lib.security_tier import SecurityTier, SecurityTierProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, synth_construct


@dataclass(frozen=True)
class Zip:
    path: Path
    sha256_b64: str
    handler: str = "notifier.handler.lambda_handler"
    runtime: str = "python3.11"
    architecture: str = "x86_64"


@pytest.fixture(scope="module")
def code(tmp_path_factory) -> Zip:
    path = tmp_path_factory.mktemp("code") / "notifier-0123.zip"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    return Zip(path, base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode())


def _props(stack, code: Zip, **overrides) -> LambdaFunctionProps:
    keys = {
        p: CustomerKey(stack, p, CustomerKeyProps(p, TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        for p in ("logs", "lambda", "sqs")
    }
    fields = {
        "name": "meridian-notifier-test",
        "role_name": TEST_NAMING.name("notifier", TEST_REGION),
        "description": "publishes payment events",
        "code": code,
        "account_id": TEST_ACCOUNT,
        "region": TEST_REGION,
        "logs": LogSettings(keys["logs"], 2557),
        "environment_key": keys["lambda"],
        "reserved_concurrency": 5,
        "environment": {"TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:t"},
    }
    fields.update({k: (keys[v] if k.endswith("_key") and isinstance(v, str) else v) for k, v in overrides.items()})
    return LambdaFunctionProps(**fields)


def _key_ref(synth, purpose: str) -> str:
    (logical,) = [k for k, v in synth.resources("aws_kms_key").items() if f"-{purpose}-" in v["description"]]
    return f"${{aws_kms_key.{logical}.arn}}"


@pytest.mark.req("QA-1", "LAM-3", "OPS-1")
def test_a_function_gets_its_hashed_zip_log_group_tracing_concurrency_and_encrypted_environment(code):
    synth = synth_construct(lambda stack: LambdaFunction(stack, "notifier", _props(stack, code)))
    function = synth.only("aws_lambda_function")
    group = synth.only("aws_cloudwatch_log_group")
    # THEN the zip is an asset whose hash is the source_code_hash (no inline code)
    assert function["filename"].startswith("assets/") and function["filename"].endswith("notifier-0123.zip")
    assert function["source_code_hash"] == code.sha256_b64 and "zip_file" not in function
    assert function["handler"] == code.handler and function["runtime"] == "python3.11"
    # AND its log group has the logs key and the one retention, and the function writes there
    assert group["name"] == "/aws/lambda/meridian-notifier-test"
    assert group["kms_key_id"] == _key_ref(synth, "logs") and group["retention_in_days"] == 2557
    assert function["logging_config"]["log_group"].startswith("${aws_cloudwatch_log_group.")
    # AND tracing, reserved concurrency and the Lambda key on the environment
    assert function["tracing_config"] == {"mode": "Active"}
    assert function["reserved_concurrent_executions"] == 5
    assert function["kms_key_arn"] == _key_ref(synth, "lambda")
    # AND a role for Lambda of this account only, with no dead-letter queue nor VPC unless asked
    trust = policy(synth.only("aws_iam_role")["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": TEST_ACCOUNT}}
    assert "dead_letter_config" not in function and "vpc_config" not in function
    assert not synth.resources("aws_sqs_queue")


@pytest.mark.req("QA-1", "LAM-2")
def test_an_asynchronously_invoked_function_gets_an_encrypted_dead_letter_queue_it_may_send_to(code):
    synth = synth_construct(lambda stack: LambdaFunction(stack, "notifier", _props(stack, code, dead_letter_key="sqs")))
    (queue_logical,) = synth.resources("aws_sqs_queue")
    queue_arn = f"${{aws_sqs_queue.{queue_logical}.arn}}"
    assert synth.only("aws_lambda_function")["dead_letter_config"] == {"target_arn": queue_arn}
    assert synth.only("aws_sqs_queue")["kms_master_key_id"] == _key_ref(synth, "sqs")
    statements = policy(synth.only("aws_iam_role_policy")["policy"])["Statement"]
    assert [s for s in statements if "sqs:SendMessage" in s["Action"] and s["Resource"] == queue_arn]


@pytest.mark.req("QA-1", "SEC-5")
def test_a_vpc_function_may_change_network_interfaces_only_in_its_subnets_and_group(code):
    def build(stack):
        tier = SecurityTier(stack, "tier", SecurityTierProps("meridian-rotation-test", "rotation", "vpc-1"))
        LambdaFunction(stack, "rotation", _props(stack, code, vpc=VpcPlacement(["subnet-a", "subnet-b"], tier)))

    synth = synth_construct(build)
    function = synth.only("aws_lambda_function")
    assert function["vpc_config"]["subnet_ids"] == ["subnet-a", "subnet-b"]
    statements = {s["Sid"]: s for s in policy(synth.only("aws_iam_role_policy")["policy"])["Statement"]}
    manage = statements["ManageNetworkInterfaces"]
    assert "*" not in manage["Resource"]
    assert f"arn:aws:ec2:{TEST_REGION}:{TEST_ACCOUNT}:subnet/subnet-a" in manage["Resource"]
    assert statements["DescribeNetworkInterfaces"]["Resource"] == "*"
    # the policy exists before the function: Lambda checks it when it creates a VPC function
    assert function["depends_on"] == [f"aws_iam_role_policy.{next(iter(synth.resources('aws_iam_role_policy')))}"]


@pytest.mark.req("QA-1")
@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"environment_key": "logs"}, "environment encrypted with the 'lambda' key, not the 'logs' key"),
        ({"reserved_concurrency": 0}, "reserved concurrency 0 would stop it; allowed: 1 or more"),
        ({"timeout_seconds": 901}, "timeout 901 s; allowed: 1 to 900"),
    ],
)
def test_bad_props_are_one_sentence_naming_the_function_and_what_is_allowed(code, overrides, message):
    with pytest.raises(ValueError, match=message) as raised:
        synth_construct(lambda stack: LambdaFunction(stack, "notifier", _props(stack, code, **overrides)))
    assert str(raised.value).startswith("function meridian-notifier-test:")
    assert json.dumps(str(raised.value)).count("\\n") == 0
