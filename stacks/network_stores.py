"""The data stores that live in the VPC, and the security tiers that may reach them (DATA-1..DATA-6, NET-5, DC-10).

The primary region leads the Aurora global database (global cluster, primary member, credentials
and their replicas' key in the secondary region); the secondary region joins it through the primary
stack's outputs (`join_global_database`). Each region's `secrets` are the copies of the database
secrets in that region and `global_writer_endpoint` the name that follows the writer (DC-3). The
tiers of the stores' clients are made here and exposed: `app_tier` (the payment service's tasks,
every region) and `rotation_tier` (the rotation Lambda, only in the primary region, where the
secrets and so their rotation live; None in the secondary). Nothing else is admitted: 5432 from
app and rotation, 6379 and 2049 from app only (NET-5).
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.aurora import (
    AuroraCluster,
    AuroraClusterProps,
    AuroraGlobalCluster,
    AuroraGlobalClusterProps,
    InstanceTuning,
)
from constructs_lib.backup import RegionalBackup
from constructs_lib.cache import RedisCache, RedisCacheProps
from constructs_lib.db_credentials import DatabaseCredentials, DatabaseCredentialsProps, RegionalSecrets
from constructs_lib.file_system import SharedFileSystem, SharedFileSystemProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.security_tier import SecurityTier
from stacks.region import RegionBasics


class NetworkStores(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        basics: RegionBasics,
        *,
        backup: RegionalBackup,
    ) -> None:
        super().__init__(scope, id_)
        config, naming, region, keys = basics.config, basics.naming, basics.region, basics.keys
        logs, network = basics.logs, basics.network
        self.region = region
        self._config, self._naming, self._keys, self._logs = config, naming, keys, logs
        self._network, self._backup = network, backup
        self.app_tier = network.security_tier(self, "app-security", "app", "Payment service tasks (ECS Fargate)")
        network.allow_aws_apis(self.app_tier)  # Secrets Manager, KMS, logs through the VPC endpoints
        self.rotation_tier: SecurityTier | None = None
        self.database_tier = network.security_tier(self, "db-security", "db", "Aurora PostgreSQL cluster")
        self.database_tier.allow_from(self.app_tier, 5432, "Payment service to PostgreSQL")
        self.cache_tier = network.security_tier(self, "cache-security", "cache", "ElastiCache Redis")
        self.cache = RedisCache(
            self,
            "cache",
            RedisCacheProps(
                name=naming.name("cache"),
                subnet_ids=network.private_subnet_ids,
                security_tier=self.cache_tier,
                key=keys.for_("cache"),
                node_type=config.capacity.cache_node_type,
                nodes=config.capacity.cache_nodes,
            ),
        )
        self.cache_tier.allow_from(self.app_tier, self.cache.port, "Payment service to Redis (TLS, IAM auth)")
        self.files_tier = network.security_tier(self, "efs-security", "efs", "EFS mount targets")
        self.files = SharedFileSystem(
            self,
            "files",
            SharedFileSystemProps(
                name=naming.name("files"),
                subnet_ids=network.private_subnet_ids,
                security_tier=self.files_tier,
                key=keys.for_("efs"),
            ),
        )
        self.files_tier.allow_from(self.app_tier, self.files.port, "Payment service to EFS (NFS over TLS)")
        backup.protect(self.files.arn)
        self.global_database: AuroraGlobalCluster | None = None
        self.credentials: DatabaseCredentials | None = None
        self.secrets_replica_key: CustomerKey | None = None
        self.database: AuroraCluster | None = None
        # What this region's tasks use (DC-3): the copies of the database secrets in this region, and
        # the global writer endpoint, which reaches the writer in whichever region it is.
        self.secrets: RegionalSecrets | None = None
        self.global_writer_endpoint: str | None = None

    def lead_global_database(self) -> AuroraCluster:
        """The primary region: the global cluster, its primary member and the credentials (DATA-2, SEC-3)."""
        database = self._config.database
        self.global_database = AuroraGlobalCluster(
            self,
            "global-db",
            AuroraGlobalClusterProps(
                self._naming.name("db"), database.engine_version, self._config.deletion_protection
            ),
        )
        self.rotation_tier = self._network.security_tier(
            self, "rotation-security", "rotation", "Secrets Manager rotation Lambda of the database users"
        )
        self._network.allow_aws_apis(self.rotation_tier)  # Secrets Manager and KMS through the VPC endpoints
        self.database_tier.allow_from(self.rotation_tier, 5432, "Rotation Lambda to PostgreSQL")
        standby = self._config.regions.secondary.name
        # DC-3: the key of the secrets' replicas in the standby region lives here, not in the secondary
        # stack, because the replicas are made when this stack is applied, before the secondary stack
        # exists. A key of its own there rather than a multi-region key: Secrets Manager re-encrypts a
        # replica with whatever key it is given, so shared key material would buy nothing, and turning
        # this region's secrets key multi-region would replace it (`multi_region` forces a new key).
        self.secrets_replica_key = CustomerKey(
            self,
            "secrets-replica-key",
            CustomerKeyProps("secrets", self._naming, self._config.accounts.own, standby, qualifier="replica"),
        )
        self.credentials = DatabaseCredentials(
            self,
            "credentials",
            DatabaseCredentialsProps(
                self._naming,
                self._keys.for_("secrets"),
                "payments",
                self.region,
                replica_key=self.secrets_replica_key,
            ),
        )
        self.global_writer_endpoint = self.global_database.writer_endpoint
        self.secrets = self.credentials.readable_in(self.region)
        self.database = self._member(
            self.global_database.identifier, self.credentials, secrets_host=self.global_writer_endpoint
        )
        return self.database

    def join_global_database(self, primary: NetworkStores) -> AuroraCluster:
        """The secondary region: a member of the primary's global cluster, read through its outputs (DATA-2)."""
        if primary.global_database is None or primary.credentials is None:
            raise ValueError(f"{primary.node.path}: call lead_global_database() before another region joins")
        self.global_writer_endpoint = primary.global_writer_endpoint
        self.secrets = primary.credentials.readable_in(self.region)  # the replicas, through the primary's outputs
        self.database = self._member(primary.global_database.identifier, None)
        return self.database

    def _member(
        self, global_cluster: str, credentials: DatabaseCredentials | None, secrets_host: str | None = None
    ) -> AuroraCluster:
        config, database = self._config, self._config.database
        member = AuroraCluster(
            self,
            "db",
            AuroraClusterProps(
                naming=self._naming,
                region=self.region,
                account_id=config.accounts.own,
                global_cluster=global_cluster,
                engine_version=database.engine_version,
                subnet_ids=self._network.database_subnet_ids,
                security_tier=self.database_tier,
                key=self._keys.for_("database"),
                logs=self._logs,
                instance_class=config.capacity.db_instance_class,
                readers=config.capacity.db_readers,
                tuning=InstanceTuning(
                    max_connections=database.max_connections,
                    shared_buffers_mib=database.shared_buffers_mib,
                    effective_cache_size_mib=database.effective_cache_size_mib,
                    work_mem_mib=database.work_mem_mib,
                    maintenance_work_mem_mib=database.maintenance_work_mem_mib,
                ),
                backup_retention_days=config.retention.db_backup_days,
                backup_window=database.backup_window,
                maintenance_window=database.maintenance_window,
                performance_insights_days=database.performance_insights_days,
                deletion_protection=config.deletion_protection,
                credentials=credentials,
                secrets_host=secrets_host,
            ),
        )
        self._backup.protect(member.arn)  # each region's points are also copied to the other's vault
        return member

    def tier_outputs(self) -> dict[str, tuple[str, str]]:
        """Name -> (value, description) of the security tiers, for the stack's outputs (DC-10)."""
        where = f"in {self.region}"
        return {
            "app_security_group_id": (self.app_tier.id, f"Security group of the payment service tasks {where}"),
            "db_security_group_id": (self.database_tier.id, f"Security group of the Aurora cluster {where}"),
            "cache_security_group_id": (self.cache_tier.id, f"Security group of the Redis cache {where}"),
            "efs_security_group_id": (self.files_tier.id, f"Security group of the EFS mount targets {where}"),
        }

    def store_outputs(self) -> dict[str, tuple[str, str]]:
        """Name -> (value, description) of the cache and the file system (DC-10)."""
        where = f"in {self.region}"
        return {
            "redis_primary_endpoint": (self.cache.primary_endpoint, f"Redis primary endpoint {where} (TLS)"),
            "redis_user_name": (self.cache.user_name, f"ElastiCache user (IAM auth) of the payment service {where}"),
            "redis_replication_group_arn": (self.cache.arn, f"ARN of the Redis replication group {where}"),
            "efs_id": (self.files.id, f"ID of the EFS file system {where}"),
            "efs_access_point_id": (self.files.access_point_id, f"Non-root EFS access point {where}"),
        }

    def database_outputs(self) -> dict[str, tuple[str, str]]:
        """Name -> (value, description) of this region's database member (and, leading, the global cluster and secrets)."""
        if self.database is None:
            raise ValueError(f"{self.node.path}: lead or join the global database before declaring its outputs")
        where = f"in {self.region}"
        found = {
            "db_cluster_identifier": (self.database.identifier, f"Aurora cluster {where}"),
            "db_writer_endpoint": (self.database.writer_endpoint, f"Aurora writer endpoint {where}"),
            "db_reader_endpoint": (self.database.reader_endpoint, f"Aurora reader endpoint {where}"),
            "db_log_group_name": (self.database.log_group.name, f"Log group of the Aurora postgresql log {where}"),
        }
        if self.secrets and self.global_writer_endpoint:
            copy = "" if self.credentials else " (replica of the primary region's secret)"
            found["db_global_writer_endpoint"] = (
                self.global_writer_endpoint,
                "Aurora global writer endpoint: the writer in whichever region leads; the tasks' DB_HOST",
            )
            found["db_master_secret_arn"] = (
                self.secrets.master_arn,
                f"Secret of the database master user {where}{copy}",
            )
            found["db_app_secret_arn"] = (
                self.secrets.app_arn,
                f"Secret of the least-privilege application database user {where}{copy} (rotates)",
            )
        if self.global_database and self.credentials and self.rotation_tier and self.secrets_replica_key:
            found["rotation_security_group_id"] = (
                self.rotation_tier.id,
                f"Security group of the rotation Lambda {where}",
            )
            found["db_global_cluster_id"] = (self.global_database.identifier, "Aurora global database identifier")
            found["kms_secrets_replica_key_arn"] = (
                self.secrets_replica_key.arn,
                f"ARN of the CMK encrypting the database secrets' replicas in {self.secrets_replica_key.region}",
            )
        return found
