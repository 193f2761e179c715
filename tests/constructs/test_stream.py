"""QA-1 / DATA-7: the payment event stream and the access it grants."""

from __future__ import annotations

import pytest

from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.service_role import ServiceRole, ServiceRoleProps
from constructs_lib.stream import EventStream, EventStreamProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct


def _key(stack, purpose="kinesis"):
    return CustomerKey(stack, purpose, CustomerKeyProps(purpose, TEST_NAMING, TEST_ACCOUNT, TEST_REGION))


def _role(stack, name):
    return ServiceRole(stack, name, ServiceRoleProps(f"{name}-test", name, "ecs-tasks.amazonaws.com", TEST_ACCOUNT))


@pytest.fixture(scope="module")
def wired():
    def build(stack):
        stream = EventStream(stack, "payments", EventStreamProps("payments-test", _key(stack), 24, TEST_REGION))
        stream.grant_write(_role(stack, "producer"))
        stream.grant_read(_role(stack, "consumer"))

    return synth_construct(build)


def _policy_of(synth, role_name):
    (body,) = [p for p in synth.resources("aws_iam_role_policy").values() if p["name"] == role_name]
    return policy(body["policy"])


@pytest.mark.req("DATA-7")
def test_stream_is_encrypted_with_the_kinesis_key_and_keeps_records_24_hours(wired):
    stream = wired.only("aws_kinesis_stream")

    assert stream["encryption_type"] == "KMS" and stream["kms_key_id"].startswith("${aws_kms_key.kinesis_key_")
    assert stream["retention_period"] == 24
    assert stream["stream_mode_details"] == {"stream_mode": "ON_DEMAND"}


@pytest.mark.req("DATA-7")
def test_producer_may_only_put_records_and_encrypt_through_kinesis(wired):
    document = _policy_of(wired, "producer-test")
    write = statement(document, "WriteStreamPayments")
    key = statement(document, "WriteStreamKeyPayments")

    assert set(write["Action"]) == {
        "kinesis:PutRecord",
        "kinesis:PutRecords",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListShards",
    }
    assert write["Resource"].startswith("${aws_kinesis_stream.payments_stream_")
    assert key["Action"] == "kms:GenerateDataKey" and key["Resource"].startswith("${aws_kms_key.kinesis_key_")
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": f"kinesis.{TEST_REGION}.amazonaws.com"}}


@pytest.mark.req("DATA-7")
def test_consumer_may_only_read_shards_and_decrypt_through_kinesis(wired):
    document = _policy_of(wired, "consumer-test")
    read = statement(document, "ReadStreamPayments")
    key = statement(document, "ReadStreamKeyPayments")

    assert "kinesis:GetRecords" in read["Action"] and not any("Put" in action for action in read["Action"])
    assert read["Resource"][0].startswith("${aws_kinesis_stream.payments_stream_")
    assert read["Resource"][1].endswith("/consumer/*")
    assert key["Action"] == "kms:Decrypt"


@pytest.mark.req("QA-1")
@pytest.mark.parametrize(
    ("hours", "purpose", "message"), [(12, "kinesis", "allowed: 24 to 8760"), (24, "s3", "'kinesis' key")]
)
def test_stream_refuses_a_retention_kinesis_rejects_and_another_key(hours, purpose, message):
    with pytest.raises(ValueError, match=message):
        synth_construct(lambda stack: EventStreamProps("payments-test", _key(stack, purpose), hours, TEST_REGION))
