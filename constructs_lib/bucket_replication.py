"""Cross-region replication of one SecureBucket into its versioned twin (DATA-8, DC-3).

The rule replicates every object, KMS-encrypted ones included (`sse_kms_encrypted_objects`), and
delete markers, re-encrypts replicas with the destination's own CMK, and runs with S3 Replication
Time Control (15 minutes, with its metrics). Its role, assumed by S3 for this account only, may read
the source's object versions and decrypt them with the source key through S3 in the source
region, and write replicas and encrypt them with the destination key through S3 in the
destination region; nothing else.

How to use (the rule is applied to the source bucket, in the source bucket's region):

    BucketReplication(self, "replication", BucketReplicationProps(
        name=naming.name("documents-replication"), source=primary_documents, source_region=primary_region,
        destination=replica, destination_region=secondary_region, account_id=account))

The construct may live in the destination's stack, reading the source through stack outputs, so the
replica exists (versioned) before the rule that needs it, whatever the order stacks deploy in.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDeleteMarkerReplication,
    S3BucketReplicationConfigurationRuleDestination,
    S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration,
    S3BucketReplicationConfigurationRuleDestinationMetrics,
    S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold,
    S3BucketReplicationConfigurationRuleDestinationReplicationTime,
    S3BucketReplicationConfigurationRuleDestinationReplicationTimeTime,
    S3BucketReplicationConfigurationRuleFilter,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteria,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects,
)
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement
from constructs_lib.secure_bucket import SecureBucket
from constructs_lib.service_role import ServiceRole, ServiceRoleProps

# S3 Replication Time Control replicates 99.99 % of objects within 15 minutes; 15 is its only value.
REPLICATION_TIME_MINUTES = 15


@dataclass(frozen=True)
class BucketReplicationProps:
    name: str  # the replication role's name (with the environment suffix)
    source: SecureBucket  # versioned, SSE-KMS
    source_region: str
    destination: SecureBucket  # versioned, SSE-KMS with its own region's key
    destination_region: str
    account_id: str

    def __post_init__(self) -> None:
        if self.source_region == self.destination_region:
            raise ValueError(f"replication {self.name}: source and destination are both in {self.source_region}")
        if self.source.key is None or self.destination.key is None:
            raise ValueError(f"replication {self.name}: both buckets must be SSE-KMS with a CMK")


class BucketReplication(Construct):
    def __init__(self, scope: Construct, id_: str, props: BucketReplicationProps) -> None:
        super().__init__(scope, id_)
        source, destination = props.source, props.destination
        assert source.key is not None and destination.key is not None  # checked by the props
        self.role = ServiceRole(
            self,
            "role",
            ServiceRoleProps(
                name=props.name,
                description=f"S3 replicates {props.source_region} objects into their {props.destination_region} twin",
                service="s3.amazonaws.com",
                source_account=props.account_id,
                source_arn=source.arn,
            ),
        )
        for statement in _replication_statements(props, source.key, destination.key):
            self.role.add_to_policy(statement)
        self.configuration = S3BucketReplicationConfigurationA(
            self,
            "rule",
            region=props.source_region,
            bucket=source.name,
            role=self.role.arn,
            rule=[_rule(destination.arn, destination.key.arn)],
            depends_on=[destination.versioning],
        )


def _rule(destination_arn: str, destination_key_arn: str) -> S3BucketReplicationConfigurationRule:
    # The rule list takes the bindings' struct classes (see SecureBucket); nested blocks are structs.
    return S3BucketReplicationConfigurationRule(
        id="everything-to-the-other-region",
        status="Enabled",
        filter=S3BucketReplicationConfigurationRuleFilter(prefix=""),
        delete_marker_replication=S3BucketReplicationConfigurationRuleDeleteMarkerReplication(status="Enabled"),
        source_selection_criteria=S3BucketReplicationConfigurationRuleSourceSelectionCriteria(
            sse_kms_encrypted_objects=S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects(
                status="Enabled"
            )
        ),
        destination=S3BucketReplicationConfigurationRuleDestination(
            bucket=destination_arn,
            storage_class="STANDARD",
            encryption_configuration=S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                replica_kms_key_id=destination_key_arn
            ),
            replication_time=S3BucketReplicationConfigurationRuleDestinationReplicationTime(
                status="Enabled",
                time=S3BucketReplicationConfigurationRuleDestinationReplicationTimeTime(
                    minutes=REPLICATION_TIME_MINUTES
                ),
            ),
            metrics=S3BucketReplicationConfigurationRuleDestinationMetrics(
                status="Enabled",
                event_threshold=S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold(
                    minutes=REPLICATION_TIME_MINUTES
                ),
            ),
        ),
    )


def _replication_statements(
    props: BucketReplicationProps, source_key: CustomerKey, destination_key: CustomerKey
) -> list[Statement]:
    source, destination = props.source, props.destination

    def through_s3(region: str, bucket_arn: str) -> dict[str, dict[str, object]]:
        # With S3 Bucket Keys the encryption context is the bucket ARN, without them the object ARN.
        return {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
        }

    return [
        Statement(
            sid="ReadSourceConfiguration",
            actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
            resources=[source.arn],
        ),
        Statement(
            sid="ReadSourceObjectVersions",
            actions=["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            resources=[f"{source.arn}/*"],
        ),
        Statement(
            sid="WriteReplicas",
            actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            resources=[f"{destination.arn}/*"],
        ),
        Statement(
            sid="DecryptWithTheSourceKey",
            actions=["kms:Decrypt"],
            resources=[source_key.arn],
            conditions=through_s3(props.source_region, source.arn),
        ),
        Statement(
            sid="EncryptWithTheDestinationKey",
            actions=["kms:Encrypt", "kms:GenerateDataKey"],
            resources=[destination_key.arn],
            conditions=through_s3(props.destination_region, destination.arn),
        ),
    ]
