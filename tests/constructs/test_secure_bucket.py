"""QA-1: the secure bucket's defaults (SEC-2, SEC-9, OPS-5)."""

import pytest

from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.policy import Statement
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from tests.support.bucket_policy import tls_problems
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct


def _build(stack):
    key = CustomerKey(stack, "key", CustomerKeyProps("s3", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
    logs = SecureBucket(
        stack,
        "logs",
        SecureBucketProps(
            name="logs-test", noncurrent_version_days=30, expire_objects_days=90, sse_s3_reason="S3 access logs"
        ),
    )
    data = SecureBucket(
        stack, "data", SecureBucketProps(name="data-test", key=key, noncurrent_version_days=60, access_log_bucket=logs)
    )
    data.add_to_resource_policy(
        Statement(
            sid="ReplicationReads",
            principals={"AWS": ["arn:aws:iam::123456789012:role/r"]},
            actions=["s3:GetObjectVersion"],
            resources=[f"{data.arn}/*"],
        )
    )


@pytest.fixture(scope="module")
def synth():
    return synth_construct(_build)


def _by_bucket(synth, type_):
    buckets = {name: body["bucket"] for name, body in synth.resources("aws_s3_bucket").items()}
    out = {}
    for body in synth.resources(type_).values():
        owner = next(n for n in buckets if f"aws_s3_bucket.{n}." in body["bucket"])
        out[buckets[owner]] = body
    return out


@pytest.mark.req("QA-1")
def test_data_bucket_uses_its_cmk_and_the_log_bucket_sse_s3(synth):
    encryption = _by_bucket(synth, "aws_s3_bucket_server_side_encryption_configuration")
    data_rule = encryption["data-test"]["rule"][0]
    assert data_rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert "aws_kms_key.key_" in data_rule["apply_server_side_encryption_by_default"]["kms_master_key_id"]
    assert data_rule["bucket_key_enabled"] is True
    assert encryption["logs-test"]["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}


@pytest.mark.req("QA-1")
def test_every_bucket_is_versioned_private_owner_enforced_and_tls_only(synth):
    assert {
        v["versioning_configuration"]["status"] for v in _by_bucket(synth, "aws_s3_bucket_versioning").values()
    } == {"Enabled"}
    for block in _by_bucket(synth, "aws_s3_bucket_public_access_block").values():
        assert all(
            block[k] is True
            for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        )
    assert {o["rule"]["object_ownership"] for o in _by_bucket(synth, "aws_s3_bucket_ownership_controls").values()} == {
        "BucketOwnerEnforced"
    }
    assert len(_by_bucket(synth, "aws_s3_bucket_policy")) == 2
    assert tls_problems("unit", synth) == []


@pytest.mark.req("QA-1")
def test_statements_added_while_wiring_reach_the_one_bucket_policy(synth):
    document = policy(_by_bucket(synth, "aws_s3_bucket_policy")["data-test"]["policy"])
    assert [s["Sid"] for s in document["Statement"]] == ["DenyInsecureTransport", "ReplicationReads"]


@pytest.mark.req("QA-1")
def test_lifecycle_expires_old_versions_and_stalled_uploads(synth):
    rules = {name: body["rule"][0] for name, body in _by_bucket(synth, "aws_s3_bucket_lifecycle_configuration").items()}
    assert rules["data-test"]["noncurrent_version_expiration"] == [{"noncurrent_days": 60}]
    assert rules["data-test"]["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert "expiration" not in rules["data-test"]
    assert rules["logs-test"]["expiration"] == [{"days": 90}]


@pytest.mark.req("QA-1")
def test_access_logs_go_to_the_log_bucket(synth):
    logging = _by_bucket(synth, "aws_s3_bucket_logging")
    assert list(logging) == ["data-test"]
    assert logging["data-test"]["target_prefix"] == "data-test/"


@pytest.mark.req("QA-1")
def test_sse_s3_without_a_reason_is_refused():
    with pytest.raises(ValueError, match="sse_s3_reason must say why"):
        SecureBucketProps(name="x", noncurrent_version_days=1)


@pytest.mark.req("QA-1")
def test_the_log_bucket_admits_s3_log_delivery_only_from_the_buckets_that_log_there(synth):
    # GIVEN a data bucket that logs into the log bucket (ACLs disabled: BucketOwnerEnforced)
    policies = _by_bucket(synth, "aws_s3_bucket_policy")
    # THEN the log bucket's policy lets the S3 logging service write, only for that source bucket
    delivery = statement(policy(policies["logs-test"]["policy"]), "S3ServerAccessLogDelivery")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"} and delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"].endswith("/*") and "aws_s3_bucket.logs_bucket_" in delivery["Resource"]
    (source,) = delivery["Condition"]["ArnLike"]["aws:SourceArn"]
    assert source.startswith("${aws_s3_bucket.data_bucket_") and source.endswith(".arn}")
    # AND a bucket nobody logs into has no such statement
    assert "S3ServerAccessLogDelivery" not in policies["data-test"]["policy"]
