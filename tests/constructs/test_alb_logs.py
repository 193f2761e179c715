"""QA-1 / DATA-9 / SEC-2: the ALB access-log bucket, the one SSE-S3 exception, written only by ELB."""

from __future__ import annotations

import pytest

from constructs_lib.alb_logs import AlbAccessLogBucket, AlbAccessLogBucketProps
from constructs_lib.load_balancer import AccessLogBucketRef
from tests.support.constructs import TEST_ACCOUNT, policy, statement, synth_construct


@pytest.fixture(scope="module")
def logs():
    return synth_construct(
        lambda stack: AlbAccessLogBucket(stack, "alb-logs", AlbAccessLogBucketProps("alb-logs-test", TEST_ACCOUNT, 365))
    )


@pytest.mark.req("SEC-2")
def test_alb_log_bucket_uses_sse_s3_the_only_encryption_elb_delivery_supports(logs):
    rule = logs.only("aws_s3_bucket_server_side_encryption_configuration")["rule"][0]

    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}


@pytest.mark.req("DATA-9")
def test_only_the_regional_elb_account_may_put_logs_under_this_accounts_prefix(logs):
    document = policy(logs.only("aws_s3_bucket_policy")["policy"])
    delivery = statement(document, "ElasticLoadBalancingDeliversAccessLogs")
    (elb_account,) = logs["data"]["aws_elb_service_account"]

    assert delivery["Principal"] == {"AWS": f"${{data.aws_elb_service_account.{elb_account}.arn}}"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"].endswith(f".arn}}/alb/AWSLogs/{TEST_ACCOUNT}/*")
    assert statement(document, "DenyInsecureTransport")["Effect"] == "Deny"


@pytest.mark.req("DATA-9")
def test_logs_expire_after_the_configured_days(logs):
    rule = logs.only("aws_s3_bucket_lifecycle_configuration")["rule"][0]

    assert rule["expiration"] == [{"days": 365}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 365}]


@pytest.mark.req("DATA-9")
def test_the_load_balancer_takes_the_bucket_and_waits_for_its_policy():
    captured = {}

    def build(stack):
        logs = AlbAccessLogBucket(stack, "alb-logs", AlbAccessLogBucketProps("alb-logs-test", TEST_ACCOUNT, 365))
        reference: AccessLogBucketRef = logs  # what PublicLoadBalancerProps.access_logs takes (checked by pyright)
        captured.update(prefix=reference.prefix, policy=logs.policy.node.path)

    synth_construct(build)

    assert captured == {"prefix": "alb", "policy": "unit/alb-logs/bucket/policy"}
