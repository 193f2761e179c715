"""AWS Config in one region: what exists is recorded and judged against our rules (SEC-7).

How to use:

    recorder = ConfigRecorder(self, "aws-config", ConfigRecorderProps(
        naming=naming, account_id=account, region=region, key=keys.for_("s3"),
        include_global_resource_types=(role == "primary"),  # IAM is recorded once per account
        required_tags=config.default_tags(), history_days=config.retention.log_days,
    ))
    recorder.name, recorder.bucket.name, recorder.role.arn, recorder.rule_names

The recorder records every supported resource type; global types (IAM) only where asked, so
two regions do not record the same IAM changes twice. It runs as its own role: the AWS managed
`AWS_ConfigRole` policy attached (an `aws_iam_role_policy_attachment`, never the deprecated
`managed_policy_arns`) plus delivery into its bucket. The delivery channel writes snapshots and
history to a SecureBucket encrypted with the region's S3 key; the bucket policy is the one AWS
documents for Config delivery, limited to this account. Terraform would otherwise create the
rules as soon as their API accepts them, before anything records: each rule depends explicitly
on the recorder status, which depends on the delivery channel, which depends on the recorder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.config_config_rule import ConfigConfigRule, ConfigConfigRuleSource
from cdktf_cdktf_provider_aws.config_configuration_recorder import (
    ConfigConfigurationRecorder,
    ConfigConfigurationRecorderRecordingGroup,
)
from cdktf_cdktf_provider_aws.config_configuration_recorder_status import ConfigConfigurationRecorderStatus
from cdktf_cdktf_provider_aws.config_delivery_channel import (
    ConfigDeliveryChannel,
    ConfigDeliveryChannelSnapshotDeliveryProperties,
)
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.naming import Naming
from constructs_lib.policy import Statement
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from constructs_lib.service_role import ServiceRole, ServiceRoleProps

CONFIG_SERVICE = "config.amazonaws.com"
CONFIG_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
REQUIRED_TAGS_LIMIT = 6  # the managed REQUIRED_TAGS rule takes tag1Key .. tag6Key


@dataclass(frozen=True)
class ManagedRule:
    identifier: str  # the AWS managed rule's source identifier
    description: str


# Which AWS managed rules judge the region, by the short name each rule carries (SEC-7).
MANAGED_RULES: Mapping[str, ManagedRule] = {
    "required-tags": ManagedRule("REQUIRED_TAGS", "Every taggable resource carries the platform's tags (DC-8)"),
    "s3-encryption": ManagedRule("S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "Every S3 bucket encrypts at rest"),
    "rds-storage-encrypted": ManagedRule("RDS_STORAGE_ENCRYPTED", "Every RDS/Aurora instance encrypts its storage"),
    "encrypted-volumes": ManagedRule("ENCRYPTED_VOLUMES", "Every attached EBS volume is encrypted"),
    "log-group-encrypted": ManagedRule("CLOUDWATCH_LOG_GROUP_ENCRYPTED", "Every log group is encrypted with KMS"),
}


@dataclass(frozen=True)
class ConfigRecorderProps:
    naming: Naming
    account_id: str
    region: str
    key: CustomerKey  # the region's S3 key: the delivery bucket's SSE-KMS
    include_global_resource_types: bool  # True in exactly one region of the account (the primary)
    required_tags: Mapping[str, str]  # tag key -> the value every resource must carry (REQUIRED_TAGS)
    history_days: int  # how long delivered snapshots and history are kept (the audit retention)
    noncurrent_version_days: int = 30  # overwritten delivery objects are kept a month
    snapshot_frequency: str = "TwentyFour_Hours"  # a full configuration snapshot a day
    access_log_bucket: SecureBucket | None = None  # where the delivery bucket's S3 access logs go

    def __post_init__(self) -> None:
        if self.key.purpose != "s3":
            raise ValueError(f"the AWS Config bucket is encrypted with the 's3' key, not the {self.key.purpose!r} key")
        if not 1 <= len(self.required_tags) <= REQUIRED_TAGS_LIMIT:
            raise ValueError(
                f"REQUIRED_TAGS checks 1 to {REQUIRED_TAGS_LIMIT} tags; given {len(self.required_tags)}: "
                f"{', '.join(self.required_tags)}"
            )


class ConfigRecorder(Construct):
    def __init__(self, scope: Construct, id_: str, props: ConfigRecorderProps) -> None:
        super().__init__(scope, id_)
        naming = props.naming
        self.bucket = SecureBucket(
            self,
            "delivery",
            SecureBucketProps(
                name=naming.bucket("config", props.account_id, props.region),
                key=props.key,
                noncurrent_version_days=props.noncurrent_version_days,
                expire_objects_days=props.history_days,
                access_log_bucket=props.access_log_bucket,
            ),
        )
        delivery_prefix = f"{self.bucket.arn}/AWSLogs/{props.account_id}/Config/*"
        for statement in _delivery_bucket_policy(self.bucket.arn, delivery_prefix, props.account_id):
            self.bucket.add_to_resource_policy(statement)

        self.role = ServiceRole(
            self,
            "role",
            ServiceRoleProps(
                name=naming.name("config-recorder", props.region),
                description=f"AWS Config records {props.region} and delivers to its bucket",
                service=CONFIG_SERVICE,
                source_account=props.account_id,
            ),
        )
        IamRolePolicyAttachment(self, "managed-policy", role=self.role.name, policy_arn=CONFIG_ROLE_POLICY)
        _grant_delivery(self.role, self.bucket.arn, delivery_prefix, props.key)

        self._recorder = ConfigConfigurationRecorder(
            self,
            "recorder",
            name=naming.name("config-recorder"),
            role_arn=self.role.arn,
            recording_group=ConfigConfigurationRecorderRecordingGroup(
                all_supported=True, include_global_resource_types=props.include_global_resource_types
            ),
        )
        channel = ConfigDeliveryChannel(
            self,
            "channel",
            name=naming.name("config-delivery"),
            s3_bucket_name=self.bucket.name,
            s3_kms_key_arn=props.key.arn,
            snapshot_delivery_properties=ConfigDeliveryChannelSnapshotDeliveryProperties(
                delivery_frequency=props.snapshot_frequency
            ),
            depends_on=[self._recorder],  # AWS refuses a delivery channel before a recorder exists
        )
        self._status = ConfigConfigurationRecorderStatus(
            self, "status", name=self._recorder.name, is_enabled=True, depends_on=[channel]
        )
        self._rules = [
            ConfigConfigRule(
                self,
                f"rule-{short_name}",
                name=naming.name(short_name),
                description=rule.description,
                source=ConfigConfigRuleSource(owner="AWS", source_identifier=rule.identifier),
                input_parameters=_required_tags_parameters(props.required_tags)
                if rule.identifier == "REQUIRED_TAGS"
                else None,
                depends_on=[self._status],  # judge only once recording has started
            )
            for short_name, rule in MANAGED_RULES.items()
        ]

    @property
    def name(self) -> str:
        """The recorder's name."""
        return self._recorder.name

    @property
    def rule_names(self) -> list[str]:
        return [rule.name for rule in self._rules]


def _delivery_bucket_policy(bucket_arn: str, delivery_prefix: str, account: str) -> list[Statement]:
    """AWS's documented Config delivery policy, admitting the service only on behalf of this account."""
    for_this_account = {"StringEquals": {"aws:SourceAccount": account}}
    return [
        Statement(
            sid="ConfigChecksBucketAcl",
            principals={"Service": [CONFIG_SERVICE]},
            actions=["s3:GetBucketAcl"],
            resources=[bucket_arn],
            conditions=for_this_account,
        ),
        Statement(
            sid="ConfigChecksBucketExists",
            principals={"Service": [CONFIG_SERVICE]},
            actions=["s3:ListBucket"],
            resources=[bucket_arn],
            conditions=for_this_account,
        ),
        Statement(
            sid="ConfigDelivers",
            principals={"Service": [CONFIG_SERVICE]},
            actions=["s3:PutObject"],
            resources=[delivery_prefix],
            conditions={"StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"}},
        ),
    ]


def _grant_delivery(role: ServiceRole, bucket_arn: str, delivery_prefix: str, key: CustomerKey) -> None:
    """The recorder's role writes snapshots and history into the bucket, encrypting with its key through S3."""
    role.add_to_policy(Statement(sid="CheckDeliveryBucketAcl", actions=["s3:GetBucketAcl"], resources=[bucket_arn]))
    role.add_to_policy(
        Statement(
            sid="DeliverConfiguration",
            actions=["s3:PutObject"],
            resources=[delivery_prefix],
            conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        )
    )
    key.grant_use(role, ["kms:GenerateDataKey", "kms:Decrypt"], "s3", "EncryptDeliveries")


def _required_tags_parameters(tags: Mapping[str, str]) -> str:
    parameters: dict[str, str] = {}
    for number, (key, value) in enumerate(tags.items(), start=1):
        parameters[f"tag{number}Key"] = key
        parameters[f"tag{number}Value"] = value
    return json.dumps(parameters)
