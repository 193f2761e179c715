"""Database credentials that live only in Secrets Manager, never in plan, state, code or outputs (SEC-3).

RDS cannot manage the master password of an Aurora global database member, so each password is
generated during apply by an ephemeral `aws_secretsmanager_random_password` and handed over only
through write-only arguments: the cluster's `master_password_wo` and each secret version's
`secret_string_wo`. Two secrets, both with the secrets CMK and a description: the master user's,
and the least-privilege application user's (the payment service's one-off `migrate` task reads both
and creates that role with that password). Each holds the JSON fields the Secrets Manager
PostgreSQL rotation functions expect (engine, host, port, dbname, username, password; the
application secret also `masterarn`, which the alternating-users rotation logs in with).

How to use (the cluster needs the master password before the secrets can name its endpoint):

    credentials = DatabaseCredentials(self, "credentials", DatabaseCredentialsProps(naming, keys.for_("secrets"), "payments"))
    cluster = RdsCluster(..., master_username=credentials.master.username,
                         master_password_wo=credentials.master.password,
                         master_password_wo_version=credentials.master.password_version)
    credentials.record_endpoint(host=cluster.endpoint, port=cluster.port)   # writes both secret versions
    credentials.grant_read(migrate_task_role)                               # GetSecretValue + kms:Decrypt
    credentials.rotate_with(rotation_function, every_days=30)               # SEC-4, LAM-1
    credentials.secret_arns                                                 # for outputs and task definitions

Raising `password_version` writes newly generated passwords into both secrets and the cluster in
one apply; rotation (SEC-4) changes them afterwards without Terraform: `rotate_with` attaches the
rotation Lambda to both secrets, lets Secrets Manager invoke it for each, and grants its role the
rotation contract's calls on these two secrets and their key only.

Standby region (DC-3): with `replica_key` (a "secrets" key in the other region) both secrets
replicate there through Secrets Manager's own replication, so that region's tasks read a copy in
their own region, decrypted with a key in their own region, and keep reading it while the primary
region is down. `credentials.readable_in(region)` hands a region its copy: ARNs and key. Rotation
stays in the primary region; Secrets Manager carries every new version to the replica.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jsii
from cdktf import Fn, TerraformLocal
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret, SecretsmanagerSecretReplica
from cdktf_cdktf_provider_aws.secretsmanager_secret_rotation import SecretsmanagerSecretRotation
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct, IValidation

from constructs_lib.ephemeral import EphemeralBlock
from constructs_lib.kms import CustomerKey
from constructs_lib.lambda_function import LambdaFunction
from constructs_lib.naming import Naming
from constructs_lib.policy import Statement, statement_id
from constructs_lib.service_role import ServiceRole

PASSWORD_LENGTH = 32
# What a rotation function calls on the secret it rotates (the Secrets Manager rotation contract).
ROTATION_ACTIONS = [
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
]
# Characters that break a connection string or its quoting: quotes and backslash (libpq key=value
# strings, JSON, shells), and the URI delimiters and escape of postgresql://user:password@host/db.
# RDS itself refuses /, ", @ and space in a master password.
CONNECTION_STRING_UNSAFE = "\"'\\/@:?#[]%"


@dataclass(frozen=True)
class DatabaseCredentialsProps:
    naming: Naming
    key: CustomerKey  # the region's secrets CMK
    database_name: str  # dbname in both secrets: the database the service uses
    region: str  # where the secrets live; kms:ViaService in grants
    master_username: str = "meridian_admin"
    app_username: str = "payments_app"  # created and granted by the service's migrate task
    engine: str = "postgres"  # the rotation contract's engine value for PostgreSQL
    password_version: int = 1  # raise to generate and write new passwords in the next apply
    recovery_window_days: int = 30  # a deleted secret can be restored this long
    # A "secrets" key in the standby region: both secrets replicate there under it (DC-3). None: no replica.
    replica_key: CustomerKey | None = None

    def __post_init__(self) -> None:
        if self.key.purpose != "secrets":
            raise ValueError(f"database secrets are encrypted with the 'secrets' key, not the {self.key.purpose!r} key")
        replica = self.replica_key
        if replica is not None and (replica.purpose != "secrets" or replica.region == self.region):
            raise ValueError(
                f"replica_key: the {replica.purpose!r} key in {replica.region}; allowed: a 'secrets' key in a "
                f"region other than {self.region}"
            )
        if self.password_version < 1:
            raise ValueError(f"password_version {self.password_version} must be 1 or more")


@dataclass(frozen=True)
class RegionalSecrets:
    """Both database secrets as one region's tasks read them: the copies in that region and their key."""

    region: str
    app_arn: str  # the application user's secret (rotates)
    master_arn: str  # the master user's secret (only the migration reads it)
    key: CustomerKey  # the "secrets" key in `region` that encrypts both copies


class DatabaseUserSecret(Construct):
    """One database user's secret and the ephemeral password that fills it."""

    def __init__(
        self, scope: Construct, id_: str, props: DatabaseCredentialsProps, *, username: str, role: str
    ) -> None:
        super().__init__(scope, id_)
        self._props = props
        self.username = username
        self.password_version = props.password_version
        replica = props.replica_key
        self._secret = SecretsmanagerSecret(
            self,
            "secret",
            name=props.naming.name("db", id_),
            description=f"Aurora PostgreSQL {role} ({username}): rotation-ready JSON, password generated at apply",
            kms_key_id=props.key.arn,
            recovery_window_in_days=props.recovery_window_days,
            # The provider adds and removes replicas in place (ReplicateSecretToRegions,
            # RemoveRegionsFromReplication) and tells replicas apart by region and key, so a new key
            # means the replica is removed and made again. Without kms_key_id the replica would use
            # that region's AWS managed key, which no key policy of ours governs.
            replica=[SecretsmanagerSecretReplica(region=replica.region, kms_key_id=replica.arn)] if replica else None,
        )
        # Attribute tokens are read once and kept: each read is a round trip to the jsii runtime.
        self._arn: str = self._secret.arn
        self._id: str = self._secret.id
        # A replica keeps the primary's name and random suffix; only the region differs in its ARN
        # (Secrets Manager's documented ARN form). The provider exposes no replica ARN attribute.
        # A local value, so that another stack reads the finished ARN through an output: the function's
        # quoted arguments would otherwise land inside that stack's JSON-encoded documents.
        self.replica_arn: str | None = (
            TerraformLocal(
                self, "replica-arn", Fn.replace(self._arn, f":{props.region}:", f":{replica.region}:")
            ).as_string
            if replica
            else None
        )
        self._password = EphemeralBlock(
            self,
            "password",
            "aws_secretsmanager_random_password",
            {
                "password_length": PASSWORD_LENGTH,
                "exclude_characters": CONNECTION_STRING_UNSAFE,
                "include_space": False,
                "require_each_included_type": True,
            },
        )

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def password(self) -> str:
        """The generated password: only for write-only arguments (Terraform refuses it elsewhere)."""
        return self._password.ref("random_password")

    def rotate_with(self, function: LambdaFunction, every_days: int) -> None:
        """Secrets Manager rotates this secret with `function` every `every_days` days, from the next
        period on: a rotation at creation would run before the migrate task has made the user."""
        permission = function.allow_invoke(
            "secretsmanager.amazonaws.com",
            source_arn=self.arn,
            sid=f"SecretsManagerRotates{statement_id(self.node.id)}",
        )
        SecretsmanagerSecretRotation(
            self,
            "rotation",
            secret_id=self._id,
            rotation_lambda_arn=function.arn,
            rotation_rules={"automatically_after_days": every_days},
            rotate_immediately=False,
            depends_on=[permission],  # Secrets Manager checks it may invoke the function
        )

    def write_version(self, *, host: str, port: str | float, extra: dict[str, str] | None = None) -> None:
        fields = {
            "engine": self._props.engine,
            "host": host,
            "port": port,
            "dbname": self._props.database_name,
            "username": self.username,
            "password": self.password,
            **(extra or {}),
        }
        SecretsmanagerSecretVersion(
            self,
            "version",
            secret_id=self._id,
            secret_string_wo=Fn.jsonencode(fields),
            secret_string_wo_version=self.password_version,
        )


class DatabaseCredentials(Construct):
    def __init__(self, scope: Construct, id_: str, props: DatabaseCredentialsProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._endpoint_recorded = False
        self.master = DatabaseUserSecret(self, "master", props, username=props.master_username, role="master user")
        self.app = DatabaseUserSecret(
            self, "app", props, username=props.app_username, role="application user (least privilege)"
        )
        self.node.add_validation(
            _Required(lambda: self._endpoint_recorded, f"{self.node.path}: call record_endpoint(host=..., port=...)")
        )

    @property
    def secret_arns(self) -> list[str]:
        return [self.master.arn, self.app.arn]

    def readable_in(self, region: str) -> RegionalSecrets:
        """The secrets as tasks in `region` read them: the primary secrets in their own region, the
        replicas and the replica key in the standby region (DC-3: nothing there names the primary region)."""
        props = self._props
        if region == props.region:
            return RegionalSecrets(region, self.app.arn, self.master.arn, props.key)
        replica = props.replica_key
        if (
            replica is None
            or replica.region != region
            or self.app.replica_arn is None
            or self.master.replica_arn is None
        ):
            held = ", ".join(r for r in (props.region, replica.region if replica else None) if r)
            raise ValueError(f"{self.node.path}: no copy of the database secrets in {region}; they are in {held}")
        return RegionalSecrets(region, self.app.replica_arn, self.master.replica_arn, replica)

    def record_endpoint(self, *, host: str, port: str | float) -> None:
        """Write both secrets' JSON, naming `host` (the stacks give the global writer endpoint); call once, after the cluster."""
        if self._endpoint_recorded:
            raise ValueError(f"{self.node.path}: the endpoint is already recorded; call record_endpoint once")
        self._endpoint_recorded = True
        self.master.write_version(host=host, port=port)
        self.app.write_version(host=host, port=port, extra={"masterarn": self.master.arn})

    def rotate_with(self, function: LambdaFunction, every_days: int = 30) -> None:
        """Both secrets rotate with `function` (SEC-4); its role gets the rotation contract's calls on
        these two secrets, a random password from Secrets Manager, and their key through Secrets Manager."""
        if not 1 <= every_days <= 1000:
            raise ValueError(f"{self.node.path}: rotation every {every_days} days; allowed: 1 to 1000")
        suffix = statement_id(self.node.id)
        function.role.add_to_policy(
            Statement(sid=f"RotateDatabaseSecrets{suffix}", actions=ROTATION_ACTIONS, resources=self.secret_arns)
        )
        # GetRandomPassword reads and writes no secret: IAM knows no resource for it.
        function.role.add_to_policy(
            Statement(sid="GenerateRandomPasswords", actions=["secretsmanager:GetRandomPassword"], resources=["*"])
        )
        self._props.key.grant_use(
            function.role, ["kms:Decrypt", "kms:GenerateDataKey"], "secretsmanager", f"RotateDatabaseSecrets{suffix}Key"
        )
        replica = self._props.replica_key
        if replica is not None:
            # Secrets Manager carries each new version to the replica as the principal that wrote it,
            # re-encrypting with the replica's key: the writer needs GenerateDataKey and Encrypt on it.
            replica.grant_use(
                function.role,
                ["kms:GenerateDataKey", "kms:Encrypt"],
                "secretsmanager",
                f"ReplicateDatabaseSecrets{suffix}Key",
            )
        for user in (self.master, self.app):
            user.rotate_with(function, every_days)

    def grant_read(self, role: ServiceRole) -> None:
        """Let a role read both secrets: GetSecretValue on these two ARNs, Decrypt with the secrets key via Secrets Manager."""
        suffix = statement_id(self.node.id)
        role.add_to_policy(
            Statement(
                sid=f"ReadDatabaseSecrets{suffix}",
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                resources=self.secret_arns,
            )
        )
        role.add_to_policy(
            Statement(
                sid=f"DecryptDatabaseSecrets{suffix}",
                actions=["kms:Decrypt"],
                resources=[self._props.key.arn],
                conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{self._props.region}.amazonaws.com"}},
            )
        )


@jsii.implements(IValidation)
class _Required:
    """Synth fails with `message` unless `done()`: a secret without a value would be an unwired secret."""

    def __init__(self, done: Callable[[], bool], message: str) -> None:
        self._done, self._message = done, message

    def validate(self) -> list[str]:
        return [] if self._done() else [self._message]
