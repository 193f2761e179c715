"""The network-bound data stores as the regional stacks compose them: NET-5 tier matrix, DATA-1..DATA-6,
DATA-10 (selection), DC-3 (the secondary member reads the global cluster through outputs), DC-10."""

from __future__ import annotations

import pytest

REGIONAL = ("primary", "secondary")
# Who may open connections to whom on the stores' ports (NET-5): port -> store tier -> client tiers.
STORE_CLIENTS = {
    ("db", 5432): {"app", "rotation"},
    ("cache", 6379): {"app"},
    ("efs", 2049): {"app"},
}


def _group_names(env, role: str) -> dict[str, str]:
    """`${aws_security_group.X.id}` -> the tier's purpose (meridian-<purpose>-<env> -> <purpose>)."""
    return {
        f"${{aws_security_group.{logical}.id}}": group["name"].removeprefix("meridian-").rsplit("-", 1)[0]
        for logical, group in env.resources(role, "aws_security_group").items()
    }


@pytest.mark.req("NET-5")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_store_tiers_admit_only_their_clients_on_their_port(synthesized, name):
    env = synthesized[name]
    for role in REGIONAL:
        tiers = _group_names(env, role)
        admitted: dict[tuple[str, int], set[str]] = {store: set() for store in STORE_CLIENTS}
        for rule in env.resources(role, "aws_vpc_security_group_ingress_rule").values():
            store = tiers[rule["security_group_id"]]
            if store in {tier for tier, _ in STORE_CLIENTS}:
                # GIVEN a rule on a store's tier THEN it names a client group (never a range) and the store's port
                assert "cidr_ipv4" not in rule and "prefix_list_id" not in rule, rule
                assert (store, rule["from_port"]) in STORE_CLIENTS, rule
                admitted[(store, rule["from_port"])].add(tiers[rule["referenced_security_group_id"]])
        # the rotation Lambda, and so its tier, lives only where the secrets are: the primary region
        expected = STORE_CLIENTS if role == "primary" else {**STORE_CLIENTS, ("db", 5432): {"app"}}
        assert admitted == expected, role
        # AND the ALB never reaches a store directly
        assert "alb" not in set().union(*admitted.values())


@pytest.mark.req("NET-5", "DATA-1", "DATA-5", "DATA-6")
@pytest.mark.parametrize("role", REGIONAL)
def test_each_store_uses_its_tier_and_the_right_subnets(prod, role):
    tiers = {purpose: ref for ref, purpose in _group_names(prod, role).items()}
    outputs = prod.stack(role)["output"]
    cluster = prod.only(role, "aws_rds_cluster")
    cache = prod.only(role, "aws_elasticache_replication_group")

    assert cluster["vpc_security_group_ids"] == [tiers["db"]]
    assert cache["security_group_ids"] == [tiers["cache"]]
    assert all(t["security_groups"] == [tiers["efs"]] for t in prod.resources(role, "aws_efs_mount_target").values())
    database_subnets = prod.only(role, "aws_db_subnet_group")["subnet_ids"]
    private_subnets = prod.only(role, "aws_elasticache_subnet_group")["subnet_ids"]
    subnets = prod.resources(role, "aws_subnet")
    assert {subnets[s.split(".")[1]]["tags"]["Tier"] for s in database_subnets} == {"database"}
    assert {subnets[s.split(".")[1]]["tags"]["Tier"] for s in private_subnets} == {"private"}
    mounted = sorted(t["subnet_id"] for t in prod.resources(role, "aws_efs_mount_target").values())
    assert mounted == sorted(private_subnets) and len(mounted) == 3
    assert outputs["app_security_group_id"]["value"] == tiers["app"]
    if role == "primary":
        assert outputs["rotation_security_group_id"]["value"] == tiers["rotation"]
    else:
        assert "rotation" not in tiers and "rotation_security_group_id" not in outputs


@pytest.mark.req("DATA-2", "DC-3")
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_secondary_member_joins_the_global_cluster_the_primary_outputs(synthesized, name):
    env = synthesized[name]
    (global_logical,) = env.resources("primary", "aws_rds_global_cluster")
    primary = env.only("primary", "aws_rds_cluster")
    secondary = env.only("secondary", "aws_rds_cluster")

    assert not env.resources("secondary", "aws_rds_global_cluster")
    assert primary["global_cluster_identifier"] == f"${{aws_rds_global_cluster.{global_logical}.id}}"
    reference = secondary["global_cluster_identifier"]
    assert reference.startswith("${data.terraform_remote_state.cross-stack-reference-input-meridian-")
    output = reference.split(".outputs.", 1)[1].rstrip("}")
    assert env.stack("primary")["output"][output]["value"] == f"${{aws_rds_global_cluster.{global_logical}.id}}"
    assert "master_username" in primary and "master_username" not in secondary
    assert env.only("primary", "aws_rds_global_cluster")["storage_encrypted"] is True


@pytest.mark.req("DATA-1", "DATA-3", "DATA-4", "DATA-5", "DC-7")
def test_prod_is_larger_and_kept_longer_than_dev(dev, prod):
    def measures(env):
        parameters = {p["name"]: int(p["value"]) for p in env.only("primary", "aws_db_parameter_group")["parameter"]}
        instances = list(env.resources("primary", "aws_rds_cluster_instance").values())
        cluster = env.only("primary", "aws_rds_cluster")
        cache = env.only("primary", "aws_elasticache_replication_group")
        return parameters, instances, cluster, cache

    dev_parameters, dev_instances, dev_cluster, dev_cache = measures(dev)
    prod_parameters, prod_instances, prod_cluster, prod_cache = measures(prod)

    assert (
        set(prod_parameters)
        == set(dev_parameters)
        == {
            "max_connections",
            "shared_buffers",
            "effective_cache_size",
            "work_mem",
            "maintenance_work_mem",
        }
    )
    assert all(prod_parameters[n] > dev_parameters[n] for n in prod_parameters)
    assert (len(prod_instances), len(dev_instances)) == (3, 2)  # writer + at least two readers in prod, one in dev
    assert {i["performance_insights_retention_period"] for i in prod_instances} == {731}
    assert {i["performance_insights_retention_period"] for i in dev_instances} == {7}
    assert (prod_cluster["backup_retention_period"], dev_cluster["backup_retention_period"]) == (35, 7)
    assert prod_cluster["deletion_protection"] is True and prod_cluster["skip_final_snapshot"] is False
    assert dev_cluster["deletion_protection"] is False and dev_cluster["skip_final_snapshot"] is True
    assert (prod_cache["num_cache_clusters"], dev_cache["num_cache_clusters"]) == (3, 2)


@pytest.mark.req("DATA-10", "DATA-6")
@pytest.mark.parametrize("role", REGIONAL)
def test_backup_selection_covers_the_regions_aurora_member_and_efs(prod, role):
    (cluster_logical,) = prod.resources(role, "aws_rds_cluster")
    (efs_logical,) = prod.resources(role, "aws_efs_file_system")
    selection = prod.only(role, "aws_backup_selection")

    assert sorted(selection["resources"]) == sorted(
        [f"${{aws_rds_cluster.{cluster_logical}.arn}}", f"${{aws_efs_file_system.{efs_logical}.arn}}"]
    )


@pytest.mark.req("DC-10", "SEC-3")
@pytest.mark.parametrize("role", REGIONAL)
def test_store_outputs_are_declared_with_descriptions_and_no_password(prod, role):
    outputs = prod.stack(role)["output"]
    expected = {
        "db_writer_endpoint",
        "db_reader_endpoint",
        "db_cluster_identifier",
        "db_log_group_name",
        "redis_primary_endpoint",
        "redis_user_name",
        "efs_id",
        "efs_access_point_id",
    }
    if role == "primary":
        expected |= {"db_master_secret_arn", "db_app_secret_arn", "db_global_cluster_id"}

    assert expected <= set(outputs)
    assert all(outputs[name]["description"] for name in expected)
    assert not any("ephemeral." in str(o["value"]) for o in outputs.values())
