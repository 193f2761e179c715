"""The data stores of one region that need no network (DATA-7, DATA-8, DATA-9, DATA-10, DC-10).

The documents bucket (SSE-KMS; the secondary region's is the primary's replica), the ALB
access-log bucket (SSE-S3, the SEC-2 exception, see constructs_lib/alb_logs.py), the bucket both
send their S3 server access logs to, the payment event stream and AWS Backup. The network-bound stores (Aurora, Redis, EFS) join this tier with the
network: their constructs call `backup.protect(arn)`.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.alb_logs import AlbAccessLogBucket, AlbAccessLogBucketProps
from constructs_lib.backup import Lifecycle, RegionalBackup, RegionalBackupProps, vault_arn
from constructs_lib.bucket_replication import BucketReplication, BucketReplicationProps
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps, access_log_bucket_props
from constructs_lib.stream import EventStream, EventStreamProps
from stacks.region import RegionBasics


class DataTier(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        basics: RegionBasics,
    ) -> None:
        super().__init__(scope, id_)
        config, naming, region, keys = basics.config, basics.naming, basics.region, basics.keys
        self.region = region
        self._naming = naming
        self._account = account = config.accounts.own
        other_region = next(r.name for r in (config.regions.primary, config.regions.secondary) if r.name != region)
        self.access_logs = SecureBucket(
            self,
            "s3-access-logs",
            access_log_bucket_props(naming.bucket("s3-access-logs", account, region), config.retention.log_days),
        )
        self.documents = SecureBucket(
            self,
            "documents",
            SecureBucketProps(
                name=naming.bucket("documents", account, region),
                key=keys.for_("s3"),
                noncurrent_version_days=config.retention.document_versions_days,
                access_log_bucket=self.access_logs,
            ),
        )
        self.alb_logs = AlbAccessLogBucket(
            self,
            "alb-logs",
            AlbAccessLogBucketProps(
                name=naming.bucket("alb-logs", account, region),
                account_id=account,
                expire_days=config.retention.log_days,
                access_log_bucket=self.access_logs,
            ),
        )
        self.stream = EventStream(
            self,
            "payments",
            EventStreamProps(
                name=naming.name("payments"),
                key=keys.for_("kinesis"),
                retention_hours=config.retention.stream_hours,
                region=region,
            ),
        )
        vault_name = naming.name(config.backup.vault_name)
        copies = [vault_arn(region=other_region, account_id=account, name=vault_name)]
        if config.accounts.backup and config.accounts.backup_vault:
            copies.append(
                vault_arn(region=region, account_id=config.accounts.backup, name=config.accounts.backup_vault)
            )
        self.backup = RegionalBackup(
            self,
            "backup",
            RegionalBackupProps(
                vault_name=vault_name,
                plan_name=naming.name("backup-plan"),
                role_name=naming.name("backup", region),
                key=keys.for_("backup"),
                account_id=account,
                daily=Lifecycle(delete_after_days=config.backup.daily_retention_days),
                weekly=Lifecycle(
                    delete_after_days=config.backup.weekly_delete_after_days,
                    cold_storage_after_days=config.backup.weekly_cold_storage_after_days,
                ),
                copy_to_vault_arns=tuple(copies),
            ),
        )

    def replicate_from(self, primary: DataTier) -> BucketReplication:
        """Make this region's documents bucket the replica of the primary's (DATA-8)."""
        return BucketReplication(
            self,
            "documents-replication",
            BucketReplicationProps(
                name=self._naming.name("documents-replication"),
                source=primary.documents,
                source_region=primary.region,
                destination=self.documents,
                destination_region=self.region,
                account_id=self._account,
            ),
        )

    def outputs(self) -> dict[str, tuple[str, str]]:
        """Name -> (value, description) for the stack's outputs (DC-10)."""
        where = f"in {self.region}"
        return {
            "documents_bucket_name": (self.documents.name, f"Documents bucket {where} (SSE-KMS, versioned)"),
            "documents_bucket_arn": (self.documents.arn, f"ARN of the documents bucket {where}"),
            "alb_access_log_bucket_name": (self.alb_logs.name, f"Bucket the ALB {where} delivers access logs to"),
            "stream_arn": (self.stream.arn, f"ARN of the payment event stream {where}"),
            "stream_name": (self.stream.name, f"Name of the payment event stream {where}"),
            "backup_vault_arn": (self.backup.vault_arn, f"ARN of the AWS Backup vault {where}"),
            "backup_plan_id": (self.backup.plan_id, f"ID of the AWS Backup plan {where}"),
            "backup_role_arn": (self.backup.role.arn, f"ARN of the role AWS Backup uses {where}"),
        }
