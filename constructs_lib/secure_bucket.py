"""An S3 bucket with the defaults a payment platform owes its data (SEC-2, SEC-9, OPS-5).

Versioned, encrypted (SSE-KMS with a CMK; SSE-S3 only where the writing AWS service supports
nothing else, and then the caller must say why), every public access path blocked, ACLs
disabled, TLS-only bucket policy, and a lifecycle that expires old versions and stalled uploads.
Statements added with `add_to_resource_policy` are rendered into the one bucket policy at synth.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement, deny_insecure_transport, lazy_document, statement_id
from constructs_lib.service_role import ServiceRole


@dataclass(frozen=True)
class SecureBucketProps:
    name: str
    noncurrent_version_days: int  # old object versions are kept this long (state history, recovery)
    key: CustomerKey | None = None  # CMK for SSE-KMS; None means SSE-S3, which needs sse_s3_reason
    sse_s3_reason: str = ""  # why this bucket cannot use a CMK (the AWS service that writes to it)
    expire_objects_days: int | None = None  # current objects expire (log buckets); None keeps them
    access_log_bucket: SecureBucket | None = None  # where S3 server access logs go
    force_destroy: bool = False  # never for data; tests and ephemeral buckets only
    region: str | None = None  # None: the stack's region; set for a bucket the stack keeps elsewhere (a replica)
    # CloudFront standard logging grants its log delivery account write access through the bucket ACL,
    # so that bucket keeps ACLs on (object owner: the bucket owner, all public ACLs still blocked)
    acls_for_cloudfront_logs: bool = False

    def __post_init__(self) -> None:
        if self.key is None and not self.sse_s3_reason:
            raise ValueError(f"bucket {self.name}: without a KMS key, sse_s3_reason must say why SSE-S3 is required")


def access_log_bucket_props(name: str, days: int, region: str | None = None) -> SecureBucketProps:
    """A bucket receiving S3 server access logs: SSE-S3 (all that log delivery writes to), expiring after days."""
    return SecureBucketProps(
        name=name,
        noncurrent_version_days=days,
        expire_objects_days=days,
        sse_s3_reason="S3 server access log delivery writes only to SSE-S3 buckets",
        region=region,
    )


class SecureBucket(Construct):
    def __init__(self, scope: Construct, id_: str, props: SecureBucketProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self.key = props.key
        self._bucket = S3Bucket(
            self, "bucket", bucket=props.name, force_destroy=props.force_destroy, region=props.region
        )
        bucket_id = self._bucket.id
        self._name: str = self._bucket.bucket  # read once: each read is a round trip to the jsii runtime
        self._arn: str = self._bucket.arn
        region = props.region
        self.versioning = S3BucketVersioningA(
            self, "versioning", bucket=bucket_id, region=region, versioning_configuration={"status": "Enabled"}
        )
        S3BucketServerSideEncryptionConfigurationA(
            self, "encryption", bucket=bucket_id, region=region, rule=[self._encryption_rule(props)]
        )
        S3BucketPublicAccessBlock(
            self,
            "public-access",
            bucket=bucket_id,
            region=region,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            region=region,
            rule={
                "object_ownership": "BucketOwnerPreferred" if props.acls_for_cloudfront_logs else "BucketOwnerEnforced"
            },
        )
        S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=bucket_id, region=region, rule=[self._lifecycle_rule(props)]
        )
        if props.access_log_bucket is not None:
            S3BucketLoggingA(
                self,
                "access-logs",
                bucket=bucket_id,
                region=region,
                target_bucket=props.access_log_bucket.name,
                target_prefix=f"{props.name}/",
            )
        self._statements: list[Statement] = [deny_insecure_transport(self.arn)]
        self._access_log_sources: list[str] = []
        # `policy` for depends_on: a service that checks its access at creation (ELB log delivery)
        self.policy = S3BucketPolicy(
            self, "policy", bucket=bucket_id, region=region, policy=lazy_document(self._policy_statements)
        )
        if props.access_log_bucket is not None:
            props.access_log_bucket._access_log_sources.append(self.arn)

    @property
    def name(self) -> str:
        return self._name

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def domain_name(self) -> str:
        """`<bucket>.s3.amazonaws.com`: how CloudFront standard logging names its bucket."""
        return self._bucket.bucket_domain_name

    def add_to_resource_policy(self, statement: Statement) -> None:
        self._statements.append(statement)

    def grant_read_write(self, role: ServiceRole) -> None:
        """Read, write and list this bucket's objects (never delete: versions are the recovery path)."""
        suffix = statement_id(self.node.id)
        role.add_to_policy(
            Statement(sid=f"ReadWrite{suffix}", actions=["s3:GetObject", "s3:PutObject"], resources=[f"{self.arn}/*"])
        )
        role.add_to_policy(Statement(sid=f"List{suffix}", actions=["s3:ListBucket"], resources=[self.arn]))
        if self.props.key is not None:
            self.props.key.grant_use(role, ["kms:Decrypt", "kms:GenerateDataKey"], "s3", f"ReadWrite{suffix}Key")

    def _policy_statements(self) -> list[Statement]:
        if not self._access_log_sources:
            return list(self._statements)
        # With ACLs disabled (BucketOwnerEnforced) S3 log delivery writes only what this policy admits.
        delivery = Statement(
            sid="S3ServerAccessLogDelivery",
            principals={"Service": ["logging.s3.amazonaws.com"]},
            actions=["s3:PutObject"],
            resources=[f"{self.arn}/*"],
            conditions={"ArnLike": {"aws:SourceArn": list(self._access_log_sources)}},
        )
        return [*self._statements, delivery]

    # Lists of nested blocks take the bindings' struct classes: jsii passes a plain dict inside a
    # list through untranslated, and its snake_case keys would be dropped silently.
    @staticmethod
    def _encryption_rule(props: SecureBucketProps) -> S3BucketServerSideEncryptionConfigurationRuleA:
        if props.key is None:
            return S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default={"sse_algorithm": "AES256"}
            )
        return S3BucketServerSideEncryptionConfigurationRuleA(
            apply_server_side_encryption_by_default={"sse_algorithm": "aws:kms", "kms_master_key_id": props.key.arn},
            bucket_key_enabled=True,  # fewer KMS calls for the same protection
        )

    @staticmethod
    def _lifecycle_rule(props: SecureBucketProps) -> S3BucketLifecycleConfigurationRule:
        expiration = None
        if props.expire_objects_days is not None:
            expiration = [S3BucketLifecycleConfigurationRuleExpiration(days=props.expire_objects_days)]
        return S3BucketLifecycleConfigurationRule(
            id="retention",
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            noncurrent_version_expiration=[
                S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=props.noncurrent_version_days
                )
            ],
            abort_incomplete_multipart_upload=[
                S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
            ],
            expiration=expiration,
        )
