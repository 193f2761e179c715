"""The ALB access-log bucket (DATA-9): here is the one exception to SEC-2's customer-managed keys.

Elastic Load Balancing delivers access logs only into buckets encrypted with SSE-S3 (S3-managed
keys); with SSE-KMS the delivery fails. So this bucket uses SSE-S3, and everything else a
SecureBucket gives (versioning, public access blocked, TLS-only policy). Its policy lets only the
region's Elastic Load Balancing account write, and only under this account's log prefix; current
logs expire after the configured days (every region Meridian allows predates August 2022, where
AWS documents the ELB account rather than a service principal as the writer).

    logs = AlbAccessLogBucket(self, "alb-logs", AlbAccessLogBucketProps(name, account_id, expire_days))
    PublicLoadBalancer(..., access_logs=logs, depends_on=[logs.policy])   # ELB checks its access at creation
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from constructs_lib.policy import Statement
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps

SSE_S3_REASON = "Elastic Load Balancing access-log delivery supports only SSE-S3 (DATA-9)"


@dataclass(frozen=True)
class AlbAccessLogBucketProps:
    name: str
    account_id: str
    expire_days: int  # access logs are deleted after this many days (old versions too)
    access_log_bucket: SecureBucket | None = None  # where S3 server access logs of this bucket go
    prefix: str = "alb"  # the load balancers' access_logs prefix


class AlbAccessLogBucket(Construct):
    def __init__(self, scope: Construct, id_: str, props: AlbAccessLogBucketProps) -> None:
        super().__init__(scope, id_)
        self.prefix = props.prefix
        self.bucket = SecureBucket(
            self,
            "bucket",
            SecureBucketProps(
                name=props.name,
                sse_s3_reason=SSE_S3_REASON,
                expire_objects_days=props.expire_days,
                noncurrent_version_days=props.expire_days,
                access_log_bucket=props.access_log_bucket,
            ),
        )
        writer = DataAwsElbServiceAccount(self, "elb-account")  # the region's ELB log-delivery account
        self.bucket.add_to_resource_policy(
            Statement(
                sid="ElasticLoadBalancingDeliversAccessLogs",
                principals={"AWS": [writer.arn]},
                actions=["s3:PutObject"],
                resources=[f"{self.bucket.arn}/{props.prefix}/AWSLogs/{props.account_id}/*"],
            )
        )

    @property
    def name(self) -> str:
        return self.bucket.name

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def policy(self) -> S3BucketPolicy:
        """The bucket policy that lets ELB write: load balancers depend on it."""
        return self.bucket.policy
