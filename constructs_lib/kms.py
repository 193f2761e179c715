"""Customer-managed KMS keys, one per data class (SEC-1).

Every key rotates, carries an alias with the environment suffix and an explicit key policy:
the account root administers it (so IAM policies can grant use, as AWS recommends), AWS services
use it only on behalf of this account (kms:ViaService + kms:CallerAccount), and the logs key
admits the regional CloudWatch Logs principal only for log groups of this account and region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from constructs_lib.naming import Naming
from constructs_lib.policy import Statement, lazy_document
from constructs_lib.service_role import ServiceRole

_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


@dataclass(frozen=True)
class KeyUse:
    """What a data class's key protects and which AWS services may use it."""

    description: str
    via_services: tuple[str, ...] = ()  # service prefixes acting for principals of this account
    service_principals: tuple[str, ...] = ()  # services that encrypt as themselves (publish, deliver)
    logs_principal: bool = False  # the regional CloudWatch Logs service, scoped by encryption context


DATA_CLASSES: Mapping[str, KeyUse] = {
    "database": KeyUse("Aurora storage, snapshots and Performance Insights", via_services=("rds",)),
    "efs": KeyUse("EFS file systems", via_services=("elasticfilesystem",)),
    "secrets": KeyUse("Secrets Manager secrets", via_services=("secretsmanager",)),
    "kinesis": KeyUse("Kinesis data streams", via_services=("kinesis",)),
    "logs": KeyUse("CloudWatch log groups", logs_principal=True),
    "s3": KeyUse("S3 objects", via_services=("s3",)),
    "sns": KeyUse(
        "SNS topics", via_services=("sns",), service_principals=("cloudwatch.amazonaws.com", "budgets.amazonaws.com")
    ),
    "backup": KeyUse("AWS Backup vaults", via_services=("backup",)),
    "cache": KeyUse("ElastiCache at rest", via_services=("elasticache",)),
    "ecr": KeyUse("ECR images", via_services=("ecr",)),
    "lambda": KeyUse("Lambda functions' environment variables", via_services=("lambda",)),
    "sqs": KeyUse("SQS queues: payment events and dead letters", via_services=("sqs",)),
    "state": KeyUse("Terraform state and its lock table", via_services=("s3", "dynamodb")),
    # CloudFront's standard logging writes as the log delivery service, not through S3 for a principal
    "cdn-logs": KeyUse(
        "CloudFront standard logs", via_services=("s3",), service_principals=("delivery.logs.amazonaws.com",)
    ),
}


@dataclass(frozen=True)
class CustomerKeyProps:
    purpose: str  # a key of DATA_CLASSES
    naming: Naming
    account_id: str
    region: str
    deletion_window_days: int = 30  # the maximum: a mistaken deletion can be cancelled for a month
    # tells apart a second key of one purpose in one region, kept by another stack (the global
    # stack's CloudFront logs key beside the primary region's): named <purpose>-<qualifier>
    qualifier: str = ""

    @property
    def name(self) -> str:
        return self.naming.name(self.purpose, self.qualifier) if self.qualifier else self.naming.name(self.purpose)


class CustomerKey(Construct):
    """One rotating CMK with its alias. `.arn` for encryption settings, `.alias_name` for humans."""

    def __init__(self, scope: Construct, id_: str, props: CustomerKeyProps) -> None:
        super().__init__(scope, id_)
        if props.purpose not in DATA_CLASSES:
            raise ValueError(f"key purpose {props.purpose!r} is unknown; allowed: {', '.join(DATA_CLASSES)}")
        use = DATA_CLASSES[props.purpose]
        self.purpose = props.purpose
        self.region = props.region
        self._role_statements: list[Statement] = []
        base_policy = _key_policy(use, props.account_id, props.region)
        self._key = KmsKey(
            self,
            "key",
            description=f"{props.name}: {use.description}",
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_days,
            policy=lazy_document(lambda: base_policy + self._role_statements),
            tags={"Name": props.name},
            region=props.region,  # explicit: a stack may hold a key of another region (the state replica's)
        )
        # Attribute tokens are read once and kept: each read is a round trip to the jsii runtime.
        self._arn: str = self._key.arn
        self._key_id: str = self._key.key_id
        self.alias_name = f"alias/{props.name}"
        KmsAlias(self, "alias", name=self.alias_name, target_key_id=self._key_id, region=props.region)

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def key_id(self) -> str:
        return self._key_id

    def grant_use(self, role: ServiceRole, actions: Sequence[str], via_service: str, sid: str) -> None:
        """Let a role use this key, only through the AWS service that holds the data (`secretsmanager`, `s3`)."""
        role.add_to_policy(
            Statement(
                sid=sid,
                actions=list(actions),
                resources=[self.arn],
                conditions={"StringEquals": {"kms:ViaService": f"{via_service}.{self.region}.amazonaws.com"}},
            )
        )

    def trust_role(self, role: ServiceRole, actions: Sequence[str], via_service: str, sid: str) -> None:
        """Name a role in the key's own policy too, only through the AWS service that holds the data:
        the key admits it even where no IAM policy could (SEC-5: the notifier's role on the SNS key)."""
        self._role_statements.append(
            Statement(
                sid=sid,
                principals={"AWS": [role.arn]},
                actions=list(actions),
                conditions={"StringEquals": {"kms:ViaService": f"{via_service}.{self.region}.amazonaws.com"}},
            )
        )


def _key_policy(use: KeyUse, account: str, region: str) -> list[Statement]:
    statements = [
        Statement(
            sid="AccountRootAdministers",
            principals={"AWS": [f"arn:aws:iam::{account}:root"]},
            actions=["kms:*"],
        )
    ]
    if use.via_services:
        statements.append(
            Statement(
                sid="UseThroughOwnServices",
                principals={"AWS": ["*"]},
                actions=_USE + ["kms:CreateGrant"],
                conditions={
                    "StringEquals": {
                        "kms:CallerAccount": account,
                        # single-valued key: a list of values means "any of these services"
                        "kms:ViaService": [f"{service}.{region}.amazonaws.com" for service in use.via_services],
                    },
                },
            )
        )
    if use.service_principals:
        statements.append(
            Statement(
                sid="ServicesPublishForThisAccount",
                principals={"Service": list(use.service_principals)},
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
    if use.logs_principal:
        statements.append(
            Statement(
                sid="CloudWatchLogsOfThisAccountAndRegion",
                principals={"Service": [f"logs.{region}.amazonaws.com"]},
                actions=_USE,
                conditions={
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"}
                },
            )
        )
    return statements


class KeyRing(Construct):
    """The region's CMKs, one per data class; constructs ask for theirs with `keys.for_("database")`."""

    def __init__(
        self, scope: Construct, id_: str, *, naming: Naming, account_id: str, region: str, purposes: tuple[str, ...]
    ) -> None:
        super().__init__(scope, id_)
        self._keys = {
            purpose: CustomerKey(self, purpose, CustomerKeyProps(purpose, naming, account_id, region))
            for purpose in purposes
        }

    def for_(self, purpose: str) -> CustomerKey:
        if purpose not in self._keys:
            raise KeyError(f"no {purpose!r} key in this key ring; it holds: {', '.join(self._keys)}")
        return self._keys[purpose]

    def __iter__(self):
        return iter(self._keys.values())
