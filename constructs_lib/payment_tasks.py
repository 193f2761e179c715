"""The payment service's two Fargate task definitions: the API and the one-off migration (APP-3, SEC-5).

What the service's code needs from the platform, said once:

- environment: the Redis endpoint, the IAM-authenticated user and its replication group (the
  service signs its own token for them), the two user pools whose tokens it accepts (issuer, keys,
  app client), the stream, the documents bucket, the alert topic, the region, `STARTUP_DELAY_SECONDS`
  and one uvicorn worker per vCPU;
- the database: `DB_HOST` is the global writer endpoint (the writer in whichever region leads);
  the application secret's copy in the task's own region is in `DB_SECRET_ARN`, and the task role
  reads it at run time, because the service re-reads it when PostgreSQL rejects a rotated password (SEC-4); a value
  injected at task start would go stale at the first rotation while tasks keep running;
- the task role: put to the stream, read and write the documents bucket, publish to the alert
  topic, connect to the cache as its user, mount the EFS access point, read the database secret,
  each only on those resources and their keys.

The migration task (`python -m payment_service migrate`, run before a deploy that changes the
schema) reads the master and the application secrets and nothing else: no stream, bucket, topic,
cache or file system.

    tasks = PaymentServiceTasks(self, "payment", PaymentServiceTasksProps(...))
    tasks.service   # FargateTask for the ECS service, port 8080, health check on the liveness path
    tasks.migrate   # FargateTask for `aws ecs run-task`
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from constructs import Construct

from constructs_lib.alerts import AlertTopic
from constructs_lib.ecr import ImageRepository
from constructs_lib.fargate_task import ContainerHealthCheck, EfsMount, FargateTask, FargateTaskProps
from constructs_lib.kms import CustomerKey
from constructs_lib.log_group import LogSettings
from constructs_lib.naming import Naming
from constructs_lib.policy import Statement
from constructs_lib.secure_bucket import SecureBucket
from constructs_lib.service_role import ServiceRole

PORT = 8080  # the image's UVICORN_PORT and EXPOSE
# The service's liveness path (payment_service/healthcheck.py): 200 while PostgreSQL answers, even
# with Redis down, so a cache outage fails no target group or container check.
HEALTH_PATH = "/health"
# The image's own HEALTHCHECK (payment_service/Dockerfile): standard library only, reads UVICORN_PORT.
HEALTH_CHECK = ContainerHealthCheck(
    command=("python", "-m", "payment_service", "healthcheck"),
    interval_seconds=30,
    timeout_seconds=5,
    retries=3,
    start_period_seconds=60,
)
MIGRATE_COMMAND = ("python", "-m", "payment_service", "migrate")


class EventStreamLike(Protocol):
    """The payment event stream as this construct uses it (constructs_lib/stream.py provides it)."""

    @property
    def name(self) -> str: ...

    def grant_write(self, role: ServiceRole) -> None: ...


class UserPoolLike(Protocol):
    """A Cognito user pool as the service checks its tokens (constructs_lib/user_pool.py provides it)."""

    @property
    def issuer_url(self) -> str: ...

    @property
    def jwks_url(self) -> str: ...

    @property
    def client_id(self) -> str: ...


@dataclass(frozen=True)
class RedisAccess:
    """The cache as the service reaches it: TLS endpoint and an ElastiCache user authenticated by IAM."""

    endpoint: str  # the replication group's primary endpoint address
    user_name: str  # the IAM-enabled ElastiCache user (its user ID and name are the same)
    user_arn: str
    replication_group_id: str  # the host the IAM token is signed for
    replication_group_arn: str
    port: int = 6379

    @property
    def url(self) -> str:
        return f"rediss://{self.endpoint}:{self.port}/0"


@dataclass(frozen=True)
class PaymentServiceTasksProps:
    naming: Naming
    region: str
    account_id: str
    repository: ImageRepository
    image: str  # registry/name:tag, validated by config (never `latest`)
    cpu_units: int  # 1024 per vCPU: one uvicorn worker per whole vCPU, at least one
    memory_mib: int
    logs: LogSettings
    database_secret_arn: str  # the application user's secret (rotates), its copy in this region
    master_secret_arn: str  # the master user's secret: only the migration reads it; its copy in this region
    secrets_key: CustomerKey  # the "secrets" key in this region that encrypts both copies
    # DB_HOST: the global writer endpoint, so tasks reach the writer wherever it is after a switchover or
    # failover, whatever host an older secret version names
    database_host: str
    redis: RedisAccess
    stream: EventStreamLike
    documents: SecureBucket
    alerts: AlertTopic
    efs: EfsMount
    merchant_pool: UserPoolLike  # merchants' tokens: create, read and list their payments
    customer_pool: UserPoolLike  # customers' tokens: read the payments made for them
    startup_delay_seconds: int = 30  # /health answers "starting" this long; the health check's start period outlasts it

    def __post_init__(self) -> None:
        if self.secrets_key.region != self.region:
            raise ValueError(
                f"payment service in {self.region}: secrets_key is in {self.secrets_key.region}; allowed: a key in "
                f"{self.region}, so the tasks start while another region is down (DC-3)"
            )
        if self.cpu_units < 256:
            raise ValueError(f"payment service: {self.cpu_units} CPU units; allowed: 256 or more (Fargate's smallest)")
        if not 0 <= self.startup_delay_seconds < HEALTH_CHECK.start_period_seconds:
            raise ValueError(
                f"payment service: STARTUP_DELAY_SECONDS {self.startup_delay_seconds} must stay below the health "
                f"check's start period ({HEALTH_CHECK.start_period_seconds} s)"
            )

    @property
    def workers(self) -> int:
        return max(1, self.cpu_units // 1024)


def _caller_identity(population: str, pool: UserPoolLike) -> dict[str, str]:
    """The service's AUTH_<POPULATION>_* settings: whose tokens it accepts, their keys and audience."""
    return {
        f"AUTH_{population}_ISSUER": pool.issuer_url,
        f"AUTH_{population}_JWKS_URL": pool.jwks_url,
        f"AUTH_{population}_AUDIENCE": pool.client_id,
    }


class PaymentServiceTasks(Construct):
    def __init__(self, scope: Construct, id_: str, props: PaymentServiceTasksProps) -> None:
        super().__init__(scope, id_)
        service = FargateTaskProps(
            naming=props.naming,
            purpose="payment-service",
            region=props.region,
            account_id=props.account_id,
            repository=props.repository,
            image=props.image,
            cpu_units=props.cpu_units,
            memory_mib=props.memory_mib,
            logs=props.logs,
            port=PORT,
            health_check=HEALTH_CHECK,
            efs=props.efs,
            environment={
                "AWS_REGION": props.region,
                "DB_SECRET_ARN": props.database_secret_arn,
                "DB_HOST": props.database_host,
                "REDIS_URL": props.redis.url,
                "REDIS_USER": props.redis.user_name,
                "REDIS_REPLICATION_GROUP_ID": props.redis.replication_group_id,  # IAM authentication
                **_caller_identity("MERCHANT", props.merchant_pool),
                **_caller_identity("CUSTOMER", props.customer_pool),
                "PAYMENT_EVENTS_STREAM": props.stream.name,
                "DOCUMENTS_BUCKET": props.documents.name,
                "DOCUMENTS_PATH": props.efs.container_path,
                "ALERT_TOPIC_ARN": props.alerts.arn,
                "STARTUP_DELAY_SECONDS": str(props.startup_delay_seconds),
                "UVICORN_PORT": str(PORT),
                "WEB_CONCURRENCY": str(props.workers),  # uvicorn's worker count
            },
        )
        self.service = FargateTask(self, "service", service)
        role = self.service.task_role
        self.service.allow_read_secret(props.database_secret_arn, props.secrets_key)
        props.stream.grant_write(role)
        props.documents.grant_read_write(role)
        props.alerts.grant_publish(role)
        role.add_to_policy(
            Statement(
                sid="ConnectToCacheAsItsUser",
                actions=["elasticache:Connect"],
                resources=[props.redis.replication_group_arn, props.redis.user_arn],
            )
        )
        # Same image, size and repository; no traffic, no file system, only the two secrets.
        migrate = replace(
            service,
            purpose="payment-migrate",
            command=MIGRATE_COMMAND,
            port=None,
            health_check=None,
            efs=None,
            environment={
                "AWS_REGION": props.region,
                "DB_SECRET_ARN": props.database_secret_arn,
                "DB_MASTER_SECRET_ARN": props.master_secret_arn,
                "DB_HOST": props.database_host,
            },
        )
        self.migrate = FargateTask(self, "migrate", migrate)
        self.migrate.allow_read_secret(props.database_secret_arn, props.secrets_key)
        self.migrate.allow_read_secret(props.master_secret_arn, props.secrets_key)
