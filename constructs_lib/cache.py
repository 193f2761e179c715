"""Redis (ElastiCache, Redis OSS 7) with IAM authentication: no secret anywhere in Terraform state (DATA-5, SEC-2).

ElastiCache has no write-only AUTH token, so `auth_token` would sit in state in clear text. Instead
the replication group admits only the users of its user group: the service's user authenticates
with IAM (the service signs a short-lived token with its task role), and the `default` user that
AWS requires in every group is switched off (`off`, no commands, no keys).

How to use:

    cache = RedisCache(self, "cache", RedisCacheProps(..., security_tier=cache_tier))
    cache_tier.allow_from(app_tier, cache.port, "Payment service to Redis")
    cache.grant_connect(task.task_role)          # elasticache:Connect on the group and the user
    cache.access                                 # RedisAccess for the payment service's tasks
    cache.primary_endpoint, cache.user_name
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.elasticache_replication_group import ElasticacheReplicationGroup
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup
from cdktf_cdktf_provider_aws.elasticache_user import ElasticacheUser, ElasticacheUserAuthenticationMode
from cdktf_cdktf_provider_aws.elasticache_user_group import ElasticacheUserGroup
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.payment_tasks import RedisAccess
from constructs_lib.policy import Statement, statement_id
from constructs_lib.security_tier import SecurityTier
from constructs_lib.service_role import ServiceRole

ENGINE = "redis"
PORT = 6379
# The service's keys all start with `payments:` (payment_service/payment_cache.py); it reads, writes
# and pings, nothing more (no admin, no scripting, no keyspace-wide commands).
APP_ACCESS = "on ~payments:* -@all +@read +@write +@connection"
DISABLED_DEFAULT_ACCESS = "off ~* -@all"


@dataclass(frozen=True)
class RedisCacheProps:
    name: str  # replication group ID and user-ID stem, with the environment suffix
    subnet_ids: Sequence[str]  # the private subnets, one per AZ
    security_tier: SecurityTier  # the cache tier; the caller admits its clients
    key: CustomerKey  # the region's cache key (at rest)
    node_type: str
    nodes: int  # primary + replicas
    engine_version: str = "7.1"
    snapshot_retention_days: int = 5
    snapshot_window: str = "02:00-03:00"  # UTC, outside the maintenance window
    maintenance_window: str = "sun:05:30-sun:06:30"

    def __post_init__(self) -> None:
        if self.key.purpose != "cache":
            raise ValueError(f"cache {self.name}: encrypted with the 'cache' key, not the {self.key.purpose!r} key")
        if self.nodes < 2:
            raise ValueError(f"cache {self.name}: {self.nodes} nodes; allowed: 2 or more (automatic failover)")
        if int(self.engine_version.split(".", 1)[0]) < 7:
            raise ValueError(f"cache {self.name}: Redis {self.engine_version}; allowed: 7 or later (IAM auth)")


class RedisCache(Construct):
    def __init__(self, scope: Construct, id_: str, props: RedisCacheProps) -> None:
        super().__init__(scope, id_)
        self.port = PORT
        subnets = ElasticacheSubnetGroup(
            self,
            "subnets",
            name=props.name,
            description=f"Private subnets of {props.name}",
            subnet_ids=list(props.subnet_ids),
        )
        # IAM authentication requires the user ID and the user name to be the same.
        self.user_name = f"{props.name}-app"
        app_user = ElasticacheUser(
            self,
            "app-user",
            user_id=self.user_name,
            user_name=self.user_name,
            engine=ENGINE,
            access_string=APP_ACCESS,
            authentication_mode=ElasticacheUserAuthenticationMode(type="iam"),
        )
        # Every user group must hold a user named `default`: this one is off and may run nothing.
        disabled_default = ElasticacheUser(
            self,
            "default-user",
            user_id=f"{props.name}-default",
            user_name="default",
            engine=ENGINE,
            access_string=DISABLED_DEFAULT_ACCESS,
            authentication_mode=ElasticacheUserAuthenticationMode(type="no-password-required"),
        )
        users = ElasticacheUserGroup(
            self,
            "users",
            user_group_id=props.name,
            engine=ENGINE,
            user_ids=[disabled_default.user_id, app_user.user_id],
        )
        self._group = ElasticacheReplicationGroup(
            self,
            "group",
            replication_group_id=props.name,
            description=f"{props.name}: payment idempotency and read cache",
            engine=ENGINE,
            engine_version=props.engine_version,
            node_type=props.node_type,
            num_cache_clusters=props.nodes,
            port=PORT,
            multi_az_enabled=True,
            automatic_failover_enabled=True,
            subnet_group_name=subnets.name,
            security_group_ids=[props.security_tier.id],
            at_rest_encryption_enabled="true",
            kms_key_id=props.key.arn,
            transit_encryption_enabled=True,
            user_group_ids=[users.user_group_id],
            snapshot_retention_limit=props.snapshot_retention_days,
            snapshot_window=props.snapshot_window,
            maintenance_window=props.maintenance_window,
            auto_minor_version_upgrade="true",
        )
        self.arn: str = self._group.arn
        self.primary_endpoint: str = self._group.primary_endpoint_address
        self.user_arn: str = app_user.arn
        # ElastiCache names the group's node clusters <group>-001, -002, ...: CloudWatch files each node's
        # metrics under that ID (read through the group, so a metric names the group that owns it).
        self.member_cluster_ids: tuple[str, ...] = tuple(
            f"{self._group.replication_group_id}-{index:03d}" for index in range(1, props.nodes + 1)
        )

    @property
    def access(self) -> RedisAccess:
        """How the payment service reaches the cache: TLS endpoint, IAM user, the ARNs its token names."""
        return RedisAccess(
            endpoint=self.primary_endpoint,
            user_name=self.user_name,
            user_arn=self.user_arn,
            replication_group_id=self._group.replication_group_id,
            replication_group_arn=self.arn,
            port=self.port,
        )

    def grant_connect(self, role: ServiceRole) -> None:
        """Let a role sign IAM auth tokens for this cache's user: elasticache:Connect on the group and the user."""
        role.add_to_policy(
            Statement(
                sid=f"ConnectToCache{statement_id(self.node.id)}",
                actions=["elasticache:Connect"],
                resources=[self.arn, self.user_arn],
            )
        )
