"""QA-1 / DATA-8: cross-region replication that really carries KMS-encrypted objects."""

from __future__ import annotations

import pytest

from constructs_lib.bucket_replication import BucketReplication, BucketReplicationProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, policy, statement, synth_construct

SOURCE_REGION, DESTINATION_REGION = "eu-west-1", "eu-central-1"


def _bucket(stack, name, region):
    key = CustomerKey(stack, f"{name}-key", CustomerKeyProps("s3", TEST_NAMING, TEST_ACCOUNT, region))
    return SecureBucket(
        stack, name, SecureBucketProps(name=f"{name}-test", key=key, noncurrent_version_days=30, region=region)
    )


def _replication(stack, destination_region=DESTINATION_REGION):
    source = _bucket(stack, "source", SOURCE_REGION)
    destination = _bucket(stack, "replica", destination_region)
    BucketReplication(
        stack,
        "replication",
        BucketReplicationProps(
            name="replication-test",
            source=source,
            source_region=SOURCE_REGION,
            destination=destination,
            destination_region=destination_region,
            account_id=TEST_ACCOUNT,
        ),
    )


@pytest.fixture(scope="module")
def replicated():
    return synth_construct(_replication)


@pytest.mark.req("DATA-8")
def test_rule_replicates_kms_objects_and_delete_markers_within_15_minutes_into_the_replica_key(replicated):
    configuration = replicated.only("aws_s3_bucket_replication_configuration")
    (rule,) = configuration["rule"]

    assert configuration["region"] == SOURCE_REGION and configuration["bucket"].startswith("${aws_s3_bucket.source_")
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["source_selection_criteria"] == {"sse_kms_encrypted_objects": {"status": "Enabled"}}
    assert rule["delete_marker_replication"] == {"status": "Enabled"}
    destination = rule["destination"]
    assert destination["bucket"].startswith("${aws_s3_bucket.replica_")
    assert destination["encryption_configuration"]["replica_kms_key_id"].startswith("${aws_kms_key.replica-key_")
    assert destination["replication_time"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert destination["metrics"] == {"status": "Enabled", "event_threshold": {"minutes": 15}}
    assert configuration["depends_on"] == [
        next(
            f"aws_s3_bucket_versioning.{n}"
            for n in replicated.resources("aws_s3_bucket_versioning")
            if n.startswith("replica_")
        )
    ], "the replica is versioned before the rule is put"


@pytest.mark.req("DATA-8")
def test_replica_lives_in_its_region_with_its_own_key(replicated):
    buckets = {body["bucket"]: body for body in replicated.resources("aws_s3_bucket").values()}
    key_regions = sorted(body["region"] for body in replicated.resources("aws_kms_key").values())

    assert buckets["replica-test"]["region"] == DESTINATION_REGION and buckets["source-test"]["region"] == SOURCE_REGION
    assert key_regions == sorted([SOURCE_REGION, DESTINATION_REGION])


@pytest.mark.req("DATA-8")
def test_role_decrypts_with_the_source_key_and_encrypts_with_the_replica_key_through_s3_only(replicated):
    document = policy(replicated.only("aws_iam_role_policy")["policy"])
    decrypt = statement(document, "DecryptWithTheSourceKey")
    encrypt = statement(document, "EncryptWithTheDestinationKey")

    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"].startswith("${aws_kms_key.source-key_")
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": f"s3.{SOURCE_REGION}.amazonaws.com"}
    assert encrypt["Action"] == ["kms:Encrypt", "kms:GenerateDataKey"]
    assert encrypt["Resource"].startswith("${aws_kms_key.replica-key_")
    assert encrypt["Condition"]["StringEquals"] == {"kms:ViaService": f"s3.{DESTINATION_REGION}.amazonaws.com"}
    assert statement(document, "WriteReplicas")["Resource"].endswith("/*")
    assert statement(document, "ReadSourceObjectVersions")["Resource"].startswith("${aws_s3_bucket.source_")


@pytest.mark.req("DATA-8")
def test_only_s3_of_this_account_replicating_this_source_assumes_the_role(replicated):
    trust = statement(policy(replicated.only("aws_iam_role")["assume_role_policy"]), "ServiceAssumesForThisAccount")

    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": TEST_ACCOUNT}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"].startswith("${aws_s3_bucket.source_")


@pytest.mark.req("QA-1")
def test_replication_within_one_region_is_refused():
    with pytest.raises(ValueError, match="both in eu-west-1"):
        synth_construct(lambda stack: _replication(stack, destination_region=SOURCE_REGION))
