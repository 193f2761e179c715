"""The data tier as synthesized for each environment: DATA-7..10, SEC-2, DC-3 (state replica), DC-10."""

from __future__ import annotations

import json

import pytest

from config import load
from constructs_lib.backup import vault_arn
from stacks.base import RemoteState

REGIONAL = ("primary", "secondary")


def _bucket_logical(env, role: str, name_part: str) -> str:
    (logical,) = [n for n, b in env.resources(role, "aws_s3_bucket").items() if name_part in b["bucket"]]
    return logical


def _part_of(env, role: str, type_: str, bucket_logical: str) -> dict:
    (part,) = [b for b in env.resources(role, type_).values() if f"aws_s3_bucket.{bucket_logical}." in b["bucket"]]
    return part


def _key_logical(env, role: str, purpose: str) -> str:
    (logical,) = [
        n for n, k in env.resources(role, "aws_kms_key").items() if k["description"].startswith(f"meridian-{purpose}-")
    ]
    return logical


def _remote_output(env, role: str, reference: str) -> str:
    """The producer output a cross-stack reference in `role` reads, e.g. `...documents_bucket_XXXXarn`."""
    prefix = "${data.terraform_remote_state.cross-stack-reference-input-meridian-"
    assert reference.startswith(prefix), reference
    return reference.split(".outputs.", 1)[1].rstrip("}")


@pytest.mark.req("DATA-8")
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_secondary_stack_replicates_the_primary_documents_bucket_into_its_own(synthesized, name):
    env = synthesized[name]
    config = load(name)
    rule_resource = env.only("secondary", "aws_s3_bucket_replication_configuration")
    (rule,) = rule_resource["rule"]
    primary_documents = _bucket_logical(env, "primary", "-documents-")
    secondary_documents = _bucket_logical(env, "secondary", "-documents-")

    # the rule is put on the primary's bucket, in the primary region, read through the primary's outputs
    assert rule_resource["region"] == config.regions.primary.name
    source_output = _remote_output(env, "secondary", rule_resource["bucket"])
    assert env.stack("primary")["output"][source_output]["value"] == f"${{aws_s3_bucket.{primary_documents}.bucket}}"
    # into the secondary's own versioned bucket, re-encrypted with the secondary's S3 key
    assert rule["destination"]["bucket"] == f"${{aws_s3_bucket.{secondary_documents}.arn}}"
    secondary_key = _key_logical(env, "secondary", "s3")
    assert (
        rule["destination"]["encryption_configuration"]["replica_kms_key_id"] == f"${{aws_kms_key.{secondary_key}.arn}}"
    )
    assert rule["source_selection_criteria"]["sse_kms_encrypted_objects"]["status"] == "Enabled"
    assert rule["delete_marker_replication"]["status"] == "Enabled"
    assert rule["destination"]["replication_time"]["status"] == "Enabled"
    for role, bucket in (("primary", primary_documents), ("secondary", secondary_documents)):
        assert (
            _part_of(env, role, "aws_s3_bucket_versioning", bucket)["versioning_configuration"]["status"] == "Enabled"
        )


@pytest.mark.req("DATA-8")
def test_replication_role_decrypts_with_the_primary_key_it_reads_from_the_primary_outputs(dev):
    (role_policy,) = [
        json.loads(p["policy"])
        for p in dev.resources("secondary", "aws_iam_role_policy").values()
        if p["name"] == "meridian-documents-replication-dev"
    ]
    decrypt = next(s for s in role_policy["Statement"] if s["Sid"] == "DecryptWithTheSourceKey")

    source_key_output = _remote_output(dev, "secondary", decrypt["Resource"])
    primary_key = _key_logical(dev, "primary", "s3")
    assert dev.stack("primary")["output"][source_key_output]["value"] == f"${{aws_kms_key.{primary_key}.arn}}"
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"


@pytest.mark.req("DATA-7")
@pytest.mark.parametrize("role", REGIONAL)
def test_each_region_has_a_payment_stream_with_its_kinesis_key_and_24_hours(prod, role):
    stream = prod.only(role, "aws_kinesis_stream")

    assert stream["name"] == "meridian-payments-prod" and stream["retention_period"] == 24
    assert stream["kms_key_id"] == f"${{aws_kms_key.{_key_logical(prod, role, 'kinesis')}.arn}}"


@pytest.mark.req("DATA-9")
@pytest.mark.parametrize("role", REGIONAL)
def test_alb_log_bucket_lets_elb_deliver_and_expires_logs_after_the_log_retention(prod, role):
    bucket = _bucket_logical(prod, role, "-alb-logs-")
    policy = json.loads(_part_of(prod, role, "aws_s3_bucket_policy", bucket)["policy"])
    delivery = next(s for s in policy["Statement"] if s["Sid"] == "ElasticLoadBalancingDeliversAccessLogs")
    lifecycle = _part_of(prod, role, "aws_s3_bucket_lifecycle_configuration", bucket)["rule"][0]

    assert delivery["Principal"]["AWS"].startswith("${data.aws_elb_service_account.")
    assert delivery["Resource"].endswith("/alb/AWSLogs/410987654321/*")
    assert lifecycle["expiration"] == [{"days": load("prod").retention.log_days}]


@pytest.mark.req("SEC-2")
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_bucket_is_sse_kms_but_the_alb_log_bucket_and_access_log_targets(synthesized, name):
    env = synthesized[name]
    for role in ("state", *REGIONAL):
        log_targets = {body["target_bucket"] for body in env.resources(role, "aws_s3_bucket_logging").values()}
        for logical, bucket in env.resources(role, "aws_s3_bucket").items():
            rule = _part_of(env, role, "aws_s3_bucket_server_side_encryption_configuration", logical)["rule"][0]
            default = rule["apply_server_side_encryption_by_default"]
            if "-alb-logs-" in bucket["bucket"] or f"${{aws_s3_bucket.{logical}.bucket}}" in log_targets:
                assert default == {"sse_algorithm": "AES256"}, bucket["bucket"]
            else:
                assert default["sse_algorithm"] == "aws:kms", bucket["bucket"]
                assert default["kms_master_key_id"].startswith("${aws_kms_key."), bucket["bucket"]


@pytest.mark.req("DATA-10")
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_each_region_backs_up_into_its_vault_and_copies_to_the_other_and_to_the_backup_account(synthesized, name):
    env = synthesized[name]
    config = load(name)
    regions = {"primary": config.regions.primary.name, "secondary": config.regions.secondary.name}
    for role, other in (("primary", "secondary"), ("secondary", "primary")):
        vault = env.only(role, "aws_backup_vault")
        assert vault["name"] == f"meridian-backup-{name}"
        assert vault["kms_key_arn"] == f"${{aws_kms_key.{_key_logical(env, role, 'backup')}.arn}}"
        expected = {vault_arn(region=regions[other], account_id=config.accounts.own, name=vault["name"])}
        if config.accounts.backup:
            expected.add(
                vault_arn(region=regions[role], account_id=config.accounts.backup, name=config.accounts.backup_vault)
            )
        for rule in env.only(role, "aws_backup_plan")["rule"]:
            assert {copy["destination_vault_arn"] for copy in rule["copy_action"]} == expected
            assert all(copy["lifecycle"] == rule["lifecycle"] for copy in rule["copy_action"])
    assert (config.accounts.backup is not None) == (name == "prod"), "cross-account copies only where configured"


@pytest.mark.req("DATA-10")
def test_weekly_points_go_cold_and_live_a_year_in_prod_and_90_days_in_dev(dev, prod):
    weekly = {
        env.environment: next(r for r in env.only("primary", "aws_backup_plan")["rule"] if r["rule_name"] == "weekly")
        for env in (dev, prod)
    }
    daily = next(r for r in prod.only("primary", "aws_backup_plan")["rule"] if r["rule_name"] == "daily")

    assert weekly["prod"]["lifecycle"] == {"cold_storage_after": 30, "delete_after": 365}
    assert weekly["dev"]["lifecycle"] == {"delete_after": 90}
    assert daily["lifecycle"] == {"delete_after": 35}


@pytest.mark.req("DC-10")
@pytest.mark.parametrize("role", REGIONAL)
def test_data_outputs_are_declared_with_descriptions(prod, role):
    outputs = prod.stack(role)["output"]

    for name in (
        "documents_bucket_name",
        "documents_bucket_arn",
        "alb_access_log_bucket_name",
        "stream_arn",
        "stream_name",
        "backup_vault_arn",
        "backup_plan_id",
        "backup_role_arn",
    ):
        assert outputs[name]["description"], name
    assert outputs["backup_role_arn"]["value"].startswith("${aws_iam_role.data_backup_role_")
    assert all(o.get("description") for n, o in outputs.items() if not n.startswith("cross-stack-output-")), outputs


@pytest.mark.req("DC-3")
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_state_bucket_replicates_kms_objects_into_a_replica_with_its_own_key_in_the_secondary_region(synthesized, name):
    env = synthesized[name]
    remote = RemoteState(load(name))
    buckets = {b["bucket"]: (logical, b) for logical, b in env.resources("state", "aws_s3_bucket").items()}
    replica_logical, replica = buckets[remote.replica_bucket]
    keys = {k.get("region"): logical for logical, k in env.resources("state", "aws_kms_key").items()}
    configuration = env.only("state", "aws_s3_bucket_replication_configuration")
    (rule,) = configuration["rule"]

    assert replica["region"] == remote.replica_region and set(keys) == {remote.region, remote.replica_region}
    assert configuration["bucket"] == f"${{aws_s3_bucket.{buckets[remote.bucket][0]}.bucket}}"
    assert rule["destination"]["bucket"] == f"${{aws_s3_bucket.{replica_logical}.arn}}"
    assert rule["destination"]["encryption_configuration"]["replica_kms_key_id"] == (
        f"${{aws_kms_key.{keys[remote.replica_region]}.arn}}"
    )
    assert rule["source_selection_criteria"]["sse_kms_encrypted_objects"]["status"] == "Enabled"
    sse = _part_of(env, "state", "aws_s3_bucket_server_side_encryption_configuration", replica_logical)["rule"][0]
    assert sse["apply_server_side_encryption_by_default"]["kms_master_key_id"] == (
        f"${{aws_kms_key.{keys[remote.replica_region]}.arn}}"
    )
    assert env.stack("state")["output"]["state_replica_bucket"]["description"]


@pytest.mark.req("DC-3")
def test_backends_write_state_with_the_state_key_whose_alias_both_regions_share(dev):
    for role in ("primary", "secondary", "global"):
        assert dev.stack(role)["terraform"]["backend"]["s3"]["kms_key_id"] == "alias/meridian-state-dev"
    aliases = {(a["name"], a["region"]) for a in dev.resources("state", "aws_kms_alias").values()}
    assert aliases == {("alias/meridian-state-dev", "us-east-1"), ("alias/meridian-state-dev", "us-west-2")}
