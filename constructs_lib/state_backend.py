"""Where every other stack keeps its Terraform state (DC-2).

A versioned, CMK-encrypted, TLS-only S3 bucket whose old state versions expire after the configured
days, its S3 access logs in a bucket of their own, and the DynamoDB lock table (PITR, SSE with the
same CMK, deletion protection where the environment asks for it).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps


@dataclass(frozen=True)
class StateBackendProps:
    bucket_name: str
    access_log_bucket_name: str
    lock_table_name: str
    key: CustomerKey
    noncurrent_version_days: int
    access_log_days: int
    deletion_protection: bool


class StateBackend(Construct):
    def __init__(self, scope: Construct, id_: str, props: StateBackendProps) -> None:
        super().__init__(scope, id_)
        self.access_logs = SecureBucket(
            self,
            "access-logs",
            SecureBucketProps(
                name=props.access_log_bucket_name,
                noncurrent_version_days=props.access_log_days,
                expire_objects_days=props.access_log_days,
                sse_s3_reason="S3 server access log delivery writes only to SSE-S3 buckets",
            ),
        )
        self.bucket = SecureBucket(
            self,
            "state",
            SecureBucketProps(
                name=props.bucket_name,
                key=props.key,
                noncurrent_version_days=props.noncurrent_version_days,
                access_log_bucket=self.access_logs,
            ),
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
