"""Where every other stack keeps its Terraform state (DC-2), and its copy in the other region (DC-3).

A versioned, CMK-encrypted, TLS-only S3 bucket whose old state versions expire after the configured
days, its S3 access logs in a bucket of their own, and the DynamoDB lock table (PITR, SSE with the
same CMK, deletion protection where the environment asks for it). The bucket replicates, KMS
objects included, into a replica in the secondary region with its own key and access logs, so
every stack can run against the replica while the primary region is down (README, "Terraform
state when the primary region is down": the S3 lock file then locks, as the table is out of reach).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from constructs import Construct

from constructs_lib.bucket_replication import BucketReplication, BucketReplicationProps
from constructs_lib.kms import CustomerKey
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps, access_log_bucket_props


@dataclass(frozen=True)
class StateReplicaProps:
    region: str  # the secondary region
    bucket_name: str
    access_log_bucket_name: str
    key: CustomerKey  # a state key of its own, in that region
    replication_role_name: str


@dataclass(frozen=True)
class StateBackendProps:
    bucket_name: str
    access_log_bucket_name: str
    lock_table_name: str
    key: CustomerKey
    noncurrent_version_days: int
    access_log_days: int
    deletion_protection: bool
    region: str  # where the state bucket and lock table are (the primary region)
    account_id: str
    replica: StateReplicaProps


class StateBackend(Construct):
    def __init__(self, scope: Construct, id_: str, props: StateBackendProps) -> None:
        super().__init__(scope, id_)
        self.bucket, self.access_logs = self._logged_bucket(
            ("state", "access-logs"), props.bucket_name, props.access_log_bucket_name, props.key, props
        )
        self.lock_table = DynamodbTable(
            self,
            "lock-table",
            name=props.lock_table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",  # the S3 backend's lock item key
            attribute=[DynamodbTableAttribute(name="LockID", type="S")],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": props.key.arn},
            deletion_protection_enabled=props.deletion_protection,
        )
        replica = props.replica
        self.replica, self.replica_access_logs = self._logged_bucket(
            ("replica", "replica-access-logs"),
            replica.bucket_name,
            replica.access_log_bucket_name,
            replica.key,
            props,
            region=replica.region,
        )
        self.replication = BucketReplication(
            self,
            "replication",
            BucketReplicationProps(
                name=replica.replication_role_name,
                source=self.bucket,
                source_region=props.region,
                destination=self.replica,
                destination_region=replica.region,
                account_id=props.account_id,
            ),
        )

    def _logged_bucket(
        self,
        ids: tuple[str, str],
        name: str,
        access_log_name: str,
        key: CustomerKey,
        props: StateBackendProps,
        region: str | None = None,
    ) -> tuple[SecureBucket, SecureBucket]:
        """A state bucket and the bucket its S3 access logs go to, in one region (None: the stack's)."""
        access_logs = SecureBucket(
            self, ids[1], access_log_bucket_props(access_log_name, props.access_log_days, region=region)
        )
        bucket = SecureBucket(
            self,
            ids[0],
            SecureBucketProps(
                name=name,
                key=key,
                noncurrent_version_days=props.noncurrent_version_days,
                access_log_bucket=access_logs,
                region=region,
            ),
        )
        return bucket, access_logs
