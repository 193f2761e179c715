"""One Fargate task definition with one locked-down container, its log group and its two roles (APP-3, SEC-5).

The container always runs as a non-root user with an init process, a read-only root filesystem
(plus a writable, task-local tmp volume), no added Linux capabilities (all dropped) and not
privileged, so nothing inside can gain privileges. It logs to its own CMK-encrypted log group with
the one retention setting. Two roles, never the same one:

- the execution role is what ECS itself uses to start the task: pull the image from the project's
  repository, write the log group, read the secrets injected at start (`injected_secrets`);
- the task role is what the code inside uses; it starts empty and grows by wiring
  (`stream.grant_write(task.task_role)`, `task.allow_read_secret(arn, key)`, ...).

    task = FargateTask(self, "service", FargateTaskProps(...))
    task.arn, task.family, task.container_name, task.port, task.task_role, task.execution_role
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionVolume,
    EcsTaskDefinitionVolumeEfsVolumeConfiguration,
)
from constructs import Construct

from constructs_lib.ecr import ImageRepository
from constructs_lib.kms import CustomerKey
from constructs_lib.log_group import EncryptedLogGroup, EncryptedLogGroupProps, LogSettings
from constructs_lib.naming import Naming
from constructs_lib.policy import Statement, statement_id
from constructs_lib.service_role import ServiceRole, ServiceRoleProps

TMP_VOLUME = "tmp"
EFS_VOLUME = "efs"


@dataclass(frozen=True)
class ContainerHealthCheck:
    """What ECS runs inside the container to decide it is healthy (the image's own HEALTHCHECK)."""

    command: tuple[str, ...]  # exec form, without the leading "CMD"
    interval_seconds: int = 30
    timeout_seconds: int = 5
    retries: int = 3
    start_period_seconds: int = 60  # must outlast the service's own start-up delay


@dataclass(frozen=True)
class EfsMount:
    """An EFS access point mounted with IAM authorization and TLS; the task role gets mount and write."""

    file_system_id: str
    file_system_arn: str
    access_point_id: str
    access_point_arn: str
    container_path: str
    read_only: bool = False


@dataclass(frozen=True)
class FargateTaskProps:
    naming: Naming
    purpose: str  # e.g. "payment-service": names the family, the log group and the roles
    region: str
    account_id: str
    repository: ImageRepository  # the execution role may pull from this repository only
    image: str  # the full reference, registry/name:tag
    cpu_units: int
    memory_mib: int
    logs: LogSettings  # the logs key and the one retention setting
    command: tuple[str, ...] = ()  # empty: the image's CMD
    port: int | None = None  # the container port the load balancer sends traffic to; None: no traffic
    environment: Mapping[str, str] = field(default_factory=dict)
    injected_secrets: Mapping[str, str] = field(default_factory=dict)  # variable -> secret ARN; ECS reads it at start
    secrets_key: CustomerKey | None = None  # the key of the injected secrets
    health_check: ContainerHealthCheck | None = None
    efs: EfsMount | None = None
    user: str = "1000:1000"  # uid:gid; the image's own non-root user
    stop_timeout_seconds: int = 30  # time between SIGTERM and SIGKILL: in-flight requests finish

    def __post_init__(self) -> None:
        uid = self.user.split(":")[0]
        if uid in ("", "0", "root"):
            raise ValueError(f"task {self.purpose}: user {self.user!r} is root; allowed: a non-root uid[:gid]")
        if self.injected_secrets and (self.secrets_key is None or self.secrets_key.purpose != "secrets"):
            raise ValueError(f"task {self.purpose}: injected secrets need secrets_key, the region's 'secrets' key")
        clashes = sorted(set(self.environment) & set(self.injected_secrets))
        if clashes:
            raise ValueError(f"task {self.purpose}: {', '.join(clashes)} set both as environment and as a secret")


class FargateTask(Construct):
    def __init__(self, scope: Construct, id_: str, props: FargateTaskProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        naming = props.naming
        self.family = naming.name(props.purpose)
        self.container_name = props.purpose
        self.port = props.port
        self._secrets_read: list[str] = []
        self._keys_read: list[str] = []
        self.log_group = EncryptedLogGroup(self, "logs", EncryptedLogGroupProps(f"/ecs/{self.family}", props.logs))
        self.execution_role = self._role("execution", "ECS starts the task: image pull, log delivery, injected secrets")
        self.task_role = self._role("task", "what the container's code may use")
        props.repository.grant_pull(self.execution_role)
        self.log_group.grant_write(self.execution_role)
        for variable, arn in props.injected_secrets.items():
            self.execution_role.add_to_policy(
                Statement(
                    sid=f"InjectSecret{statement_id(variable)}",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[arn],
                )
            )
        if props.injected_secrets and props.secrets_key is not None:
            props.secrets_key.grant_use(self.execution_role, ["kms:Decrypt"], "secretsmanager", "InjectedSecretsKey")
        if props.efs is not None:
            self._allow_efs(props.efs)
        self._definition = EcsTaskDefinition(
            self,
            "definition",
            family=self.family,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(props.cpu_units),
            memory=str(props.memory_mib),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=json.dumps([self._container()]),
            volume=self._volumes(),
        )

    @property
    def arn(self) -> str:
        return self._definition.arn

    def allow_read_secret(self, secret_arn: str, key: CustomerKey) -> None:
        """The code reads this secret itself at run time (so it sees rotations), decrypting with its key."""
        self._secrets_read.append(secret_arn)
        self.task_role.add_to_policy(
            Statement(
                sid=f"ReadSecret{len(self._secrets_read)}",
                actions=["secretsmanager:GetSecretValue"],
                resources=[secret_arn],
            )
        )
        if key.node.path not in self._keys_read:  # one statement per key (ARNs are tokens: compare the construct)
            self._keys_read.append(key.node.path)
            key.grant_use(self.task_role, ["kms:Decrypt"], "secretsmanager", f"SecretsKey{len(self._keys_read)}")

    def _role(self, kind: str, does: str) -> ServiceRole:
        props = self._props
        return ServiceRole(
            self,
            f"{kind}-role",
            ServiceRoleProps(
                name=props.naming.name(props.purpose, kind, props.region),
                description=f"{self.family} {kind} role: {does}",
                service="ecs-tasks.amazonaws.com",
                source_account=props.account_id,
                source_arn=f"arn:aws:ecs:{props.region}:{props.account_id}:*",
            ),
        )

    def _allow_efs(self, efs: EfsMount) -> None:
        actions = (
            ["elasticfilesystem:ClientMount"]
            if efs.read_only
            else ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
        )
        self.task_role.add_to_policy(
            Statement(
                sid="MountThroughAccessPoint",
                actions=actions,
                resources=[efs.file_system_arn],
                conditions={"StringEquals": {"elasticfilesystem:AccessPointArn": efs.access_point_arn}},
            )
        )

    def _container(self) -> dict:
        props = self._props
        mounts = [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}]
        if props.efs is not None:
            mounts.append(
                {"sourceVolume": EFS_VOLUME, "containerPath": props.efs.container_path, "readOnly": props.efs.read_only}
            )
        container: dict = {
            "name": self.container_name,
            "image": props.image,
            "essential": True,
            "user": props.user,
            "privileged": False,
            "readonlyRootFilesystem": True,
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"add": [], "drop": ["ALL"]}},
            "environment": [{"name": k, "value": v} for k, v in sorted(props.environment.items())],
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(props.injected_secrets.items())],
            "mountPoints": mounts,
            "volumesFrom": [],
            "stopTimeout": props.stop_timeout_seconds,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": self.log_group.name,
                    "awslogs-region": props.region,
                    "awslogs-stream-prefix": self.container_name,
                },
            },
        }
        if props.command:
            container["command"] = list(props.command)
        if props.port is not None:
            container["portMappings"] = [{"containerPort": props.port, "protocol": "tcp", "name": "http"}]
        else:
            container["portMappings"] = []
        if props.health_check is not None:
            check = props.health_check
            container["healthCheck"] = {
                "command": ["CMD", *check.command],
                "interval": check.interval_seconds,
                "timeout": check.timeout_seconds,
                "retries": check.retries,
                "startPeriod": check.start_period_seconds,
            }
        return container

    def _volumes(self) -> list[EcsTaskDefinitionVolume]:
        volumes = [EcsTaskDefinitionVolume(name=TMP_VOLUME)]  # task-local storage: the only writable path
        efs = self._props.efs
        if efs is not None:
            volumes.append(
                EcsTaskDefinitionVolume(
                    name=EFS_VOLUME,
                    efs_volume_configuration=EcsTaskDefinitionVolumeEfsVolumeConfiguration(
                        file_system_id=efs.file_system_id,
                        root_directory="/",  # the access point decides the directory
                        transit_encryption="ENABLED",
                        authorization_config={"access_point_id": efs.access_point_id, "iam": "ENABLED"},
                    ),
                )
            )
        return volumes
