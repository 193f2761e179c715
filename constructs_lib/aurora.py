"""Aurora PostgreSQL global database: the global cluster and one regional member per region (DATA-1..DATA-4, SEC-2).

How to use (the primary region leads, the secondary joins through the primary stack's outputs):

    global_db = AuroraGlobalCluster(self, "global", AuroraGlobalClusterProps(naming.name("db"), "16.6", True))
    primary = AuroraCluster(self, "db", AuroraClusterProps(..., global_cluster=global_db.identifier,
                                                           credentials=credentials,      # writes the secrets
                                                           secrets_host=global_db.writer_endpoint))
    secondary = AuroraCluster(other, "db", AuroraClusterProps(..., global_cluster=global_db.identifier))
    db_tier.allow_from(app_tier, primary.port, "Payment service to PostgreSQL")
    backup.protect(primary.arn)
    primary.writer_endpoint, primary.reader_endpoint, primary.arn, primary.identifier
    global_db.writer_endpoint   # follows the writer across regions: what clients and the secrets name

Each member sits in its region's database subnets behind the database security tier, encrypts
storage and Performance Insights with the region's database key, authenticates with IAM as well as
passwords, copies tags to snapshots and exports the `postgresql` log into a log group created first
(the logs key and the one retention, OPS-1), so RDS never creates one of its own. The primary member
alone has a master user: its password reaches RDS only through `master_password_wo` from the
ephemeral block of `DatabaseCredentials` (SEC-3); RDS cannot manage the master password of a global
database member. Parameter groups: the cluster's loads pg_stat_statements and pgaudit and forces TLS;
the instances' memory and connection settings come from the environment's config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import (
    RdsClusterParameterGroup,
    RdsClusterParameterGroupParameter,
)
from cdktf_cdktf_provider_aws.rds_global_cluster import RdsGlobalCluster
from constructs import Construct

from constructs_lib.db_credentials import DatabaseCredentials
from constructs_lib.kms import CustomerKey
from constructs_lib.log_group import EncryptedLogGroup, EncryptedLogGroupProps, LogSettings
from constructs_lib.naming import Naming
from constructs_lib.security_tier import SecurityTier
from constructs_lib.service_role import ServiceRole, ServiceRoleProps

ENGINE = "aurora-postgresql"
PORT = 5432
MONITORING_INTERVAL_SECONDS = 60
MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
# The cluster parameters every member shares: audit (pgaudit), statement statistics, TLS only (SEC-9).
AUDIT_PARAMETERS: Mapping[str, str] = {
    "pgaudit.log": "ddl,role,write",  # schema changes, grants, data changes: who touched payments
    "pgaudit.log_catalog": "0",  # not the catalog queries every client runs
    "pgaudit.log_level": "log",
    "pgaudit.log_parameter": "0",  # bind parameters hold card data: never into the logs
    "pgaudit.log_relation": "1",
    "pgaudit.log_statement_once": "1",
    "rds.force_ssl": "1",
    "log_statement": "ddl",  # query logging; pgaudit covers the data changes
    "log_min_duration_statement": "1000",  # statements slower than one second, for tuning
}
PRELOAD_LIBRARIES = "pg_stat_statements,pgaudit"  # loaded at start: applied at the next reboot


@dataclass(frozen=True)
class InstanceTuning:
    """Memory and connection settings of every instance, from the environment's config (DATA-3)."""

    max_connections: int
    shared_buffers_mib: int
    effective_cache_size_mib: int
    work_mem_mib: int
    maintenance_work_mem_mib: int

    def parameters(self) -> dict[str, str]:
        """In PostgreSQL's units: 8 KiB pages for the buffers and cache, KiB for the work memories."""
        pages = 1024 // 8
        return {
            "max_connections": str(self.max_connections),
            "shared_buffers": str(self.shared_buffers_mib * pages),
            "effective_cache_size": str(self.effective_cache_size_mib * pages),
            "work_mem": str(self.work_mem_mib * 1024),
            "maintenance_work_mem": str(self.maintenance_work_mem_mib * 1024),
        }


def parameter_family(engine_version: str) -> str:
    """`16.6` -> `aurora-postgresql16`: parameter groups are per major version."""
    return f"{ENGINE}{engine_version.split('.', 1)[0]}"


@dataclass(frozen=True)
class AuroraGlobalClusterProps:
    identifier: str  # with the environment suffix
    engine_version: str
    deletion_protection: bool


class AuroraGlobalCluster(Construct):
    """The global database that the regional members join (DATA-2); lives in the primary stack."""

    def __init__(self, scope: Construct, id_: str, props: AuroraGlobalClusterProps) -> None:
        super().__init__(scope, id_)
        self.engine_version = props.engine_version
        self._cluster = RdsGlobalCluster(
            self,
            "cluster",
            global_cluster_identifier=props.identifier,
            engine=ENGINE,
            engine_version=props.engine_version,
            storage_encrypted=True,
            deletion_protection=props.deletion_protection,
        )
        self.identifier: str = self._cluster.id
        # The global writer endpoint: a name Aurora keeps pointing at the writer of whichever member
        # leads, so clients need no change after a switchover or failover (DC-3).
        self.writer_endpoint: str = self._cluster.endpoint


@dataclass(frozen=True)
class AuroraClusterProps:
    naming: Naming
    region: str  # the member's region: in every physical name, so the members never collide
    account_id: str
    global_cluster: str  # the global cluster's identifier (a token read through outputs in the secondary)
    engine_version: str
    subnet_ids: Sequence[str]  # the database subnets, one per AZ
    security_tier: SecurityTier  # the database tier; the caller admits its clients
    key: CustomerKey  # the region's database key: storage and Performance Insights
    logs: LogSettings
    instance_class: str
    readers: int  # besides the writer
    tuning: InstanceTuning
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    performance_insights_days: int
    deletion_protection: bool  # also keeps a final snapshot on deletion
    credentials: DatabaseCredentials | None = None  # the primary member's master user; None: a secondary member
    # The host the credentials' secrets name: the global writer endpoint, which follows the writer to
    # another region; None: this member's own writer endpoint.
    secrets_host: str | None = None
    database_name: str = "payments"

    def name(self, *parts: str) -> str:
        """`meridian-db-<region>[-parts]-<env>`: every physical name of this member."""
        return self.naming.name("db", self.region, *parts)

    @property
    def identifier(self) -> str:
        return self.name()

    def __post_init__(self) -> None:
        if self.key.purpose != "database":
            raise ValueError(f"cluster {self.identifier}: encrypted with the 'database' key, not {self.key.purpose!r}")
        if self.readers < 1:
            raise ValueError(f"cluster {self.identifier}: {self.readers} readers; allowed: 1 or more")
        if len(self.subnet_ids) < 2:
            raise ValueError(f"cluster {self.identifier}: {len(self.subnet_ids)} subnets; allowed: 2 or more AZs")


class AuroraCluster(Construct):
    """One regional member of the global database: cluster, writer, readers and what they need."""

    def __init__(self, scope: Construct, id_: str, props: AuroraClusterProps) -> None:
        super().__init__(scope, id_)
        self.port = PORT
        family = parameter_family(props.engine_version)
        subnets = DbSubnetGroup(
            self,
            "subnets",
            name=props.identifier,
            description=f"Database subnets of {props.identifier}",
            subnet_ids=list(props.subnet_ids),
        )
        cluster_parameters = RdsClusterParameterGroup(
            self,
            "cluster-parameters",
            name=props.name("cluster"),
            family=family,
            description=f"{props.identifier}: pgaudit, pg_stat_statements, TLS only",
            parameter=[
                RdsClusterParameterGroupParameter(
                    name="shared_preload_libraries", value=PRELOAD_LIBRARIES, apply_method="pending-reboot"
                ),
                *(RdsClusterParameterGroupParameter(name=n, value=v) for n, v in AUDIT_PARAMETERS.items()),
            ],
        )
        instance_parameters = DbParameterGroup(
            self,
            "instance-parameters",
            name=props.name("instance"),
            family=family,
            description=f"{props.identifier}: memory and connections of this environment",
            parameter=[
                DbParameterGroupParameter(name=n, value=v, apply_method="pending-reboot")
                for n, v in props.tuning.parameters().items()
            ],
        )
        # RDS writes to /aws/rds/cluster/<id>/postgresql; created first, so it has our key and retention.
        self.log_group = EncryptedLogGroup(
            self,
            "postgresql-logs",
            EncryptedLogGroupProps(f"/aws/rds/cluster/{props.identifier}/postgresql", props.logs),
        )
        self.monitoring_role = ServiceRole(
            self,
            "monitoring-role",
            ServiceRoleProps(
                name=props.name("monitoring"),
                description=f"RDS enhanced monitoring of {props.identifier} publishes OS metrics",
                service="monitoring.rds.amazonaws.com",
                source_account=props.account_id,
            ),
        )
        IamRolePolicyAttachment(self, "monitoring-policy", role=self.monitoring_role.name, policy_arn=MONITORING_POLICY)
        credentials = props.credentials
        final_snapshot = props.name("final") if props.deletion_protection else None
        self._cluster = RdsCluster(
            self,
            "cluster",
            cluster_identifier=props.identifier,
            global_cluster_identifier=props.global_cluster,
            engine=ENGINE,
            engine_version=props.engine_version,
            port=PORT,
            database_name=props.database_name if credentials else None,
            master_username=credentials.master.username if credentials else None,
            master_password_wo=credentials.master.password if credentials else None,
            master_password_wo_version=credentials.master.password_version if credentials else None,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[props.security_tier.id],
            db_cluster_parameter_group_name=cluster_parameters.name,
            storage_encrypted=True,
            kms_key_id=props.key.arn,
            iam_database_authentication_enabled=True,
            backup_retention_period=props.backup_retention_days,
            preferred_backup_window=props.backup_window,
            preferred_maintenance_window=props.maintenance_window,
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            deletion_protection=props.deletion_protection,
            skip_final_snapshot=not props.deletion_protection,
            final_snapshot_identifier=final_snapshot,
            depends_on=[self.log_group.dependable],
        )
        self.identifier: str = self._cluster.cluster_identifier
        self.arn: str = self._cluster.arn
        self.writer_endpoint: str = self._cluster.endpoint
        self.reader_endpoint: str = self._cluster.reader_endpoint
        self.instances = [
            RdsClusterInstance(
                self,
                f"instance-{index}",
                identifier=props.name(str(index)),
                cluster_identifier=self.identifier,
                engine=ENGINE,
                engine_version=props.engine_version,
                instance_class=props.instance_class,
                db_subnet_group_name=subnets.name,
                db_parameter_group_name=instance_parameters.name,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                promotion_tier=index,  # the first reader takes over from the writer
                performance_insights_enabled=True,
                performance_insights_kms_key_id=props.key.arn,
                performance_insights_retention_period=props.performance_insights_days,
                monitoring_interval=MONITORING_INTERVAL_SECONDS,
                monitoring_role_arn=self.monitoring_role.arn,
                copy_tags_to_snapshot=True,
            )
            for index in range(1 + props.readers)
        ]
        if credentials:
            credentials.record_endpoint(host=props.secrets_host or self.writer_endpoint, port=self._cluster.port)
