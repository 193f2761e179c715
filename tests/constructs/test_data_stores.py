"""QA-1: the network-bound data stores on their synthesized JSON: Aurora member (DATA-1, DATA-3, DATA-4,
SEC-2, SEC-3, OPS-1), Redis with IAM auth (DATA-5), EFS (DATA-6)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cdktf_cdktf_provider_aws.vpc import Vpc

from constructs_lib.aurora import (
    AuroraCluster,
    AuroraClusterProps,
    AuroraGlobalCluster,
    AuroraGlobalClusterProps,
    InstanceTuning,
)
from constructs_lib.cache import RedisCache, RedisCacheProps
from constructs_lib.db_credentials import DatabaseCredentials, DatabaseCredentialsProps
from constructs_lib.file_system import SharedFileSystem, SharedFileSystemProps
from constructs_lib.kms import KeyRing
from constructs_lib.log_group import LogSettings
from constructs_lib.security_tier import SecurityTier, SecurityTierProps
from constructs_lib.service_role import ServiceRole, ServiceRoleProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct

SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]
TUNING = InstanceTuning(
    max_connections=500,
    shared_buffers_mib=4096,
    effective_cache_size_mib=12288,
    work_mem_mib=16,
    maintenance_work_mem_mib=512,
)


def _base(stack):
    keys = KeyRing(
        stack,
        "keys",
        naming=TEST_NAMING,
        account_id=TEST_ACCOUNT,
        region=TEST_REGION,
        purposes=("database", "secrets", "logs", "cache", "efs"),
    )
    vpc = Vpc(stack, "vpc", cidr_block="10.0.0.0/16")
    tier = SecurityTier(stack, "tier", SecurityTierProps("meridian-store-test", "a data store", vpc.id))
    return keys, tier


def _aurora(stack, *, primary: bool = True, deletion_protection: bool = True):
    keys, tier = _base(stack)
    global_db = AuroraGlobalCluster(stack, "global", AuroraGlobalClusterProps("meridian-db-test", "16.6", True))
    credentials = (
        DatabaseCredentials(
            stack, "credentials", DatabaseCredentialsProps(TEST_NAMING, keys.for_("secrets"), "payments", TEST_REGION)
        )
        if primary
        else None
    )
    AuroraCluster(
        stack,
        "db",
        AuroraClusterProps(
            naming=TEST_NAMING,
            region=TEST_REGION,
            account_id=TEST_ACCOUNT,
            global_cluster=global_db.identifier,
            engine_version="16.6",
            subnet_ids=SUBNETS,
            security_tier=tier,
            key=keys.for_("database"),
            logs=LogSettings(keys.for_("logs"), 2557),
            instance_class="db.r6g.large",
            readers=2,
            tuning=TUNING,
            backup_retention_days=35,
            backup_window="03:00-04:00",
            maintenance_window="sun:04:30-sun:05:00",
            performance_insights_days=731,
            deletion_protection=deletion_protection,
            credentials=credentials,
        ),
    )


@pytest.fixture(scope="module")
def aurora():
    return synth_construct(_aurora)


@pytest.fixture(scope="module")
def secondary_member():
    return synth_construct(lambda stack: _aurora(stack, primary=False, deletion_protection=False))


def _ref(synth, type_: str, attribute: str, where: str = "") -> str:
    (logical,) = [n for n in synth.resources(type_) if where in n]
    return f"${{{type_}.{logical}.{attribute}}}"


@pytest.mark.req("DATA-1", "SEC-2", "SEC-3")
def test_primary_member_is_encrypted_iam_authenticated_and_gets_its_password_write_only(aurora):
    cluster = aurora.only("aws_rds_cluster")

    assert cluster["global_cluster_identifier"] == _ref(aurora, "aws_rds_global_cluster", "id")
    assert cluster["storage_encrypted"] is True
    assert cluster["kms_key_id"] == _ref(aurora, "aws_kms_key", "arn", "database")
    assert cluster["iam_database_authentication_enabled"] is True and cluster["copy_tags_to_snapshot"] is True
    assert (cluster["backup_retention_period"], cluster["preferred_backup_window"]) == (35, "03:00-04:00")
    assert cluster["preferred_maintenance_window"] == "sun:04:30-sun:05:00"
    assert cluster["deletion_protection"] is True and cluster["skip_final_snapshot"] is False
    assert cluster["final_snapshot_identifier"] == "meridian-db-eu-west-1-final-test"
    assert cluster["master_password_wo"].startswith("${ephemeral.aws_secretsmanager_random_password.")
    assert cluster["master_password_wo_version"] == 1 and "master_password" not in cluster
    assert "manage_master_user_password" not in cluster
    assert cluster["vpc_security_group_ids"] == [_ref(aurora, "aws_security_group", "id")]


@pytest.mark.req("DATA-1", "SEC-3")
def test_secrets_name_the_writer_endpoint_of_the_cluster(aurora):
    for version in aurora.resources("aws_secretsmanager_secret_version").values():
        assert _ref(aurora, "aws_rds_cluster", "endpoint").strip("${}") in version["secret_string_wo"]


@pytest.mark.req("DATA-2")
def test_secondary_member_has_no_master_user_and_no_secret(secondary_member):
    cluster = secondary_member.only("aws_rds_cluster")

    assert not {"master_username", "master_password_wo", "database_name"} & set(cluster)
    assert cluster["global_cluster_identifier"].startswith("${aws_rds_global_cluster.")
    assert cluster["skip_final_snapshot"] is True and cluster["deletion_protection"] is False
    assert not secondary_member.resources("aws_secretsmanager_secret")


@pytest.mark.req("OPS-1", "DATA-1")
def test_postgresql_log_goes_to_a_log_group_created_first_with_the_logs_key_and_retention(aurora):
    cluster = aurora.only("aws_rds_cluster")
    ((logical, group),) = aurora.resources("aws_cloudwatch_log_group").items()

    assert cluster["enabled_cloudwatch_logs_exports"] == ["postgresql"]
    assert group["name"] == "/aws/rds/cluster/meridian-db-eu-west-1-test/postgresql"
    assert group["retention_in_days"] == 2557 and group["kms_key_id"] == _ref(aurora, "aws_kms_key", "arn", "logs")
    assert cluster["depends_on"] == [f"aws_cloudwatch_log_group.{logical}"]


@pytest.mark.req("DATA-4")
@pytest.mark.req("DATA-1")
def test_writer_and_readers_have_insights_with_the_database_key_and_enhanced_monitoring(aurora):
    instances = list(aurora.resources("aws_rds_cluster_instance").values())
    role = aurora.only("aws_iam_role")
    trust = policy(role["assume_role_policy"])["Statement"][0]

    assert len(instances) == 3  # a writer and two readers
    for instance in instances:
        assert instance["performance_insights_enabled"] is True
        assert instance["performance_insights_kms_key_id"] == _ref(aurora, "aws_kms_key", "arn", "database")
        assert instance["performance_insights_retention_period"] == 731
        assert instance["monitoring_interval"] == 60
        assert instance["monitoring_role_arn"] == _ref(aurora, "aws_iam_role", "arn")
        assert instance["publicly_accessible"] is False
    assert trust["Principal"]["Service"] == "monitoring.rds.amazonaws.com"
    assert aurora.only("aws_iam_role_policy_attachment")["policy_arn"].endswith("AmazonRDSEnhancedMonitoringRole")


@pytest.mark.req("DATA-3", "SEC-9")
def test_cluster_parameters_load_pgaudit_and_force_tls(aurora):
    group = aurora.only("aws_rds_cluster_parameter_group")
    parameters = {p["name"]: p["value"] for p in group["parameter"]}

    assert group["family"] == "aurora-postgresql16"
    assert parameters["shared_preload_libraries"] == "pg_stat_statements,pgaudit"
    assert parameters["rds.force_ssl"] == "1"
    assert {
        f"pgaudit.{p}"
        for p in ("log", "log_catalog", "log_level", "log_parameter", "log_relation", "log_statement_once")
    } <= set(parameters)
    assert parameters["pgaudit.log_parameter"] == "0", "bind parameters (card data) stay out of the logs"
    assert aurora.only("aws_rds_cluster")["db_cluster_parameter_group_name"] == _ref(
        aurora, "aws_rds_cluster_parameter_group", "name"
    )


@pytest.mark.req("DATA-3")
def test_instance_parameters_convert_the_config_into_postgresql_units(aurora):
    group = aurora.only("aws_db_parameter_group")
    parameters = {p["name"]: p["value"] for p in group["parameter"]}

    assert parameters == {
        "max_connections": "500",
        "shared_buffers": str(4096 * 128),  # 8 KiB pages
        "effective_cache_size": str(12288 * 128),
        "work_mem": str(16 * 1024),  # KiB
        "maintenance_work_mem": str(512 * 1024),
    }


@pytest.mark.req("DATA-1")
def test_cluster_sits_in_the_given_subnets(aurora):
    assert aurora.only("aws_db_subnet_group")["subnet_ids"] == SUBNETS


def _cache(stack, **overrides):
    keys, tier = _base(stack)
    props = RedisCacheProps("meridian-cache-test", SUBNETS, tier, keys.for_("cache"), "cache.t4g.medium", 3)
    cache = RedisCache(stack, "cache", replace(props, **overrides))
    role = ServiceRole(stack, "task", ServiceRoleProps("task-test", "tasks", "ecs-tasks.amazonaws.com", TEST_ACCOUNT))
    cache.grant_connect(role)


@pytest.fixture(scope="module")
def cache():
    return synth_construct(_cache)


@pytest.mark.req("DATA-5", "SEC-2", "SEC-9")
def test_redis_is_multi_az_with_failover_encrypted_both_ways_and_snapshotted(cache):
    group = cache.only("aws_elasticache_replication_group")

    assert group["engine"] == "redis" and int(group["engine_version"].split(".")[0]) >= 7
    assert group["multi_az_enabled"] is True and group["automatic_failover_enabled"] is True
    assert group["num_cache_clusters"] == 3
    assert group["at_rest_encryption_enabled"] == "true"
    assert group["kms_key_id"] == _ref(cache, "aws_kms_key", "arn", "cache")
    assert group["transit_encryption_enabled"] is True
    assert group["snapshot_retention_limit"] == 5 and group["snapshot_window"] and group["maintenance_window"]
    assert group["subnet_group_name"] == _ref(cache, "aws_elasticache_subnet_group", "name")
    assert cache.only("aws_elasticache_subnet_group")["subnet_ids"] == SUBNETS
    assert "auth_token" not in group


@pytest.mark.req("DATA-5")
def test_redis_admits_only_an_iam_user_and_a_switched_off_default_user(cache):
    group = cache.only("aws_elasticache_replication_group")
    users = {u["user_name"]: (n, u) for n, u in cache.resources("aws_elasticache_user").items()}
    user_group = cache.only("aws_elasticache_user_group")
    app_logical, app = users["meridian-cache-test-app"]
    default_logical, default = users["default"]

    assert group["user_group_ids"] == [_ref(cache, "aws_elasticache_user_group", "user_group_id")]
    assert app["authentication_mode"] == {"type": "iam"} and app["user_id"] == app["user_name"]
    assert "passwords" not in app
    assert default["access_string"].startswith("off ") and "-@all" in default["access_string"]
    assert set(user_group["user_ids"]) == {
        f"${{aws_elasticache_user.{app_logical}.user_id}}",
        f"${{aws_elasticache_user.{default_logical}.user_id}}",
    }


@pytest.mark.req("DATA-5", "SEC-5")
def test_grant_connect_names_the_group_and_the_user(cache):
    document = policy(cache.only("aws_iam_role_policy")["policy"])
    connect = statement(document, "ConnectToCacheCache")

    assert connect["Action"] == "elasticache:Connect"
    assert connect["Resource"] == [
        _ref(cache, "aws_elasticache_replication_group", "arn"),
        _ref(cache, "aws_elasticache_user", "arn", "app"),
    ]


@pytest.mark.req("DATA-5")
@pytest.mark.parametrize(
    "overrides, message",
    [({"nodes": 1}, "allowed: 2 or more"), ({"engine_version": "6.2"}, "allowed: 7 or later")],
)
def test_redis_refuses_a_single_node_or_a_version_without_iam_auth(overrides, message):
    with pytest.raises(ValueError, match=message):
        synth_construct(lambda stack: _cache(stack, **overrides))


def _files(stack, **overrides):
    keys, tier = _base(stack)
    props = SharedFileSystemProps("meridian-files-test", SUBNETS, tier, keys.for_("efs"))
    SharedFileSystem(stack, "files", replace(props, **overrides))


@pytest.fixture(scope="module")
def files():
    return synth_construct(_files)


@pytest.mark.req("DATA-6", "SEC-2")
def test_efs_is_encrypted_general_purpose_and_moves_cold_files_to_ia(files):
    file_system = files.only("aws_efs_file_system")

    assert file_system["encrypted"] is True
    assert file_system["kms_key_id"] == _ref(files, "aws_kms_key", "arn", "efs")
    assert file_system["performance_mode"] == "generalPurpose"
    assert file_system["throughput_mode"] in ("bursting", "elastic")
    assert {"transition_to_ia": "AFTER_30_DAYS"} in file_system["lifecycle_policy"]
    assert file_system["tags"]["Name"] == "meridian-files-test"


@pytest.mark.req("DATA-6")
def test_efs_has_a_mount_target_with_its_group_in_every_subnet(files):
    targets = list(files.resources("aws_efs_mount_target").values())

    assert sorted(t["subnet_id"] for t in targets) == SUBNETS
    assert all(t["security_groups"] == [_ref(files, "aws_security_group", "id")] for t in targets)


@pytest.mark.req("DATA-6")
def test_access_point_pins_a_non_root_user_and_directory(files):
    point = files.only("aws_efs_access_point")

    assert point["posix_user"] == {"uid": 1000, "gid": 1000}
    assert point["root_directory"]["path"] == "/payments"
    assert point["root_directory"]["creation_info"] == {"owner_uid": 1000, "owner_gid": 1000, "permissions": "750"}


@pytest.mark.req("DATA-6")
def test_efs_refuses_a_root_access_point():
    with pytest.raises(ValueError, match="non-root"):
        synth_construct(lambda stack: _files(stack, owner_uid=0))
