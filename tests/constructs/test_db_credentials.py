"""QA-1 / SEC-3: ephemeral blocks and the database credentials built on them."""

from __future__ import annotations

import cdktf
import pytest
from cdktf import Fn, TerraformOutput
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster

from constructs_lib.db_credentials import CONNECTION_STRING_UNSAFE, DatabaseCredentials, DatabaseCredentialsProps
from constructs_lib.ephemeral import EphemeralBlock
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.service_role import ServiceRole, ServiceRoleProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct


def _secrets_key(stack, purpose="secrets"):
    return CustomerKey(stack, "key", CustomerKeyProps(purpose, TEST_NAMING, TEST_ACCOUNT, TEST_REGION))


def _credentials(stack, **overrides):
    props = DatabaseCredentialsProps(TEST_NAMING, _secrets_key(stack), "payments", TEST_REGION, **overrides)
    return DatabaseCredentials(stack, "credentials", props)


def _with_cluster(stack):
    """GIVEN credentials wired the way the Aurora construct wires them."""
    credentials = _credentials(stack, password_version=3)
    cluster = RdsCluster(
        stack,
        "db",
        cluster_identifier="db-test",
        engine="aurora-postgresql",
        master_username=credentials.master.username,
        master_password_wo=credentials.master.password,
        master_password_wo_version=credentials.master.password_version,
    )
    credentials.record_endpoint(host=cluster.endpoint, port=cluster.port)
    role = ServiceRole(
        stack, "migrate", ServiceRoleProps("migrate-test", "migrations", "ecs-tasks.amazonaws.com", TEST_ACCOUNT)
    )
    credentials.grant_read(role)


@pytest.fixture(scope="module")
def wired():
    return synth_construct(_with_cluster)


@pytest.mark.req("QA-1")
def test_ephemeral_block_renders_its_config_and_references_as_terraform_expressions():
    def build(stack):
        block = EphemeralBlock(stack, "token", "aws_secretsmanager_random_password", {"password_length": 20})
        TerraformOutput(stack, "whole", value=block.ref("random_password"))
        TerraformOutput(stack, "inside", value=Fn.jsonencode({"p": block.ref("random_password")}))

    synth = synth_construct(build)

    assert synth["ephemeral"] == {"aws_secretsmanager_random_password": {"token": {"password_length": 20}}}
    assert synth["output"]["whole"]["value"] == "${ephemeral.aws_secretsmanager_random_password.token.random_password}"
    assert synth["output"]["inside"]["value"] == (
        '${jsonencode({"p" = ephemeral.aws_secretsmanager_random_password.token.random_password})}'
    )


@pytest.mark.req("SEC-3")
def test_two_passwords_of_32_connection_string_safe_characters_are_generated_at_apply(wired):
    blocks = wired["ephemeral"]["aws_secretsmanager_random_password"]

    assert sorted(blocks) == ["credentials_app_password", "credentials_master_password"]
    for block in blocks.values():
        assert block["password_length"] == 32 and block["include_space"] is False
        assert set("\"'\\/@:?#[]%") <= set(block["exclude_characters"]) == set(CONNECTION_STRING_UNSAFE)


@pytest.mark.req("SEC-3")
def test_passwords_reach_the_cluster_and_the_secrets_only_through_write_only_arguments(wired):
    cluster = wired.only("aws_rds_cluster")
    versions = wired.resources("aws_secretsmanager_secret_version")

    assert (
        cluster["master_password_wo"]
        == "${ephemeral.aws_secretsmanager_random_password.credentials_master_password.random_password}"
    )
    assert cluster["master_password_wo_version"] == 3 and "master_password" not in cluster
    assert "manage_master_user_password" not in cluster, "RDS cannot manage a global database member's password"
    assert len(versions) == 2
    for version in versions.values():
        assert "secret_string" not in version and version["secret_string_wo_version"] == 3
        assert "ephemeral.aws_secretsmanager_random_password.credentials_" in version["secret_string_wo"]


@pytest.mark.req("SEC-3")
def test_secrets_hold_the_rotation_contract_fields_with_the_secrets_key_and_a_description(wired):
    secrets = wired.resources("aws_secretsmanager_secret")
    versions = {
        body["secret_id"]: body["secret_string_wo"]
        for body in wired.resources("aws_secretsmanager_secret_version").values()
    }

    assert sorted(s["name"] for s in secrets.values()) == ["meridian-db-app-test", "meridian-db-master-test"]
    for logical, secret in secrets.items():
        assert secret["kms_key_id"].startswith("${aws_kms_key.key_") and secret["description"]
        assert secret["recovery_window_in_days"] == 30
        fields = versions[f"${{aws_secretsmanager_secret.{logical}.id}}"]
        for field in (
            '"engine" = "postgres"',
            '"host" = aws_rds_cluster.db.endpoint',
            '"port" = aws_rds_cluster.db.port',
            '"dbname" = "payments"',
            '"username" = ',
            '"password" = ephemeral.',
        ):
            assert field in fields, (secret["name"], field)
        # the alternating-users rotation logs in with the master secret named in the user's secret
        assert ('"masterarn" = aws_secretsmanager_secret.credentials_master_secret' in fields) == (
            "app" in secret["name"]
        )


@pytest.mark.req("SEC-5")
def test_grant_read_names_both_secrets_and_decrypts_only_through_secrets_manager(wired):
    document = policy(wired.only("aws_iam_role_policy")["policy"])
    read = statement(document, "ReadDatabaseSecretsCredentials")
    decrypt = statement(document, "DecryptDatabaseSecretsCredentials")

    assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert len(read["Resource"]) == 2 and all(
        r.startswith("${aws_secretsmanager_secret.credentials_") for r in read["Resource"]
    )
    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"].startswith("${aws_kms_key.key_")
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"secretsmanager.{TEST_REGION}.amazonaws.com"}}


@pytest.mark.req("QA-1")
def test_secrets_without_an_endpoint_stop_synth():
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    stack = cdktf.TerraformStack(cdktf.Testing.app(), "unit")
    AwsProvider(stack, "aws", region=TEST_REGION)
    _credentials(stack)

    with pytest.raises(RuntimeError, match="call record_endpoint"):
        cdktf.Testing.synth(stack, run_validations=True)


@pytest.mark.req("QA-1")
def test_credentials_refuse_another_key_and_a_second_endpoint():
    def wrong_key(stack):
        DatabaseCredentialsProps(TEST_NAMING, _secrets_key(stack, "database"), "payments", TEST_REGION)

    def twice(stack):
        credentials = _credentials(stack)
        credentials.record_endpoint(host="db.example", port=5432)
        credentials.record_endpoint(host="db.example", port=5432)

    with pytest.raises(ValueError, match="'secrets' key, not the 'database' key"):
        synth_construct(wrong_key)
    with pytest.raises(ValueError, match="already recorded"):
        synth_construct(twice)


STANDBY = "us-west-2"


def _replicated(stack):
    """GIVEN credentials whose secrets replicate to a standby region under a secrets key there (DC-3)."""
    replica_key = CustomerKey(
        stack, "replica-key", CustomerKeyProps("secrets", TEST_NAMING, TEST_ACCOUNT, STANDBY, qualifier="replica")
    )
    credentials = _credentials(stack, replica_key=replica_key)
    credentials.record_endpoint(host="db.global.example", port=5432)
    copies = {region: credentials.readable_in(region) for region in (TEST_REGION, STANDBY)}
    for region, copy in copies.items():
        TerraformOutput(stack, f"app-{region}", value=copy.app_arn)
        TerraformOutput(stack, f"master-{region}", value=copy.master_arn)
        TerraformOutput(stack, f"key-{region}", value=copy.key.arn)


@pytest.mark.req("DC-3")
@pytest.mark.req("QA-1")
def test_both_secrets_replicate_under_the_standby_key_and_the_standby_reads_the_replicas():
    synth = synth_construct(_replicated)
    secrets = synth.resources("aws_secretsmanager_secret")
    (replica_key,) = [k for k in synth.resources("aws_kms_key") if k.startswith("replica-key")]
    # THEN each secret has one replica, in the standby region, under the standby key
    for secret in secrets.values():
        assert secret["replica"] == [{"region": STANDBY, "kms_key_id": f"${{aws_kms_key.{replica_key}.arn}}"}]
    # AND the standby's copies are the replicas (same name and suffix, the standby region), its key the standby key
    outputs, locals_ = synth["output"], synth["locals"]
    for user in ("app", "master"):
        (secret,) = [k for k in secrets if k.startswith(f"credentials_{user}_")]
        assert outputs[f"{user}-{TEST_REGION}"]["value"] == f"${{aws_secretsmanager_secret.{secret}.arn}}"
        local = outputs[f"{user}-{STANDBY}"]["value"].removeprefix("${local.").removesuffix("}")
        assert locals_[local] == (
            f'${{replace(aws_secretsmanager_secret.{secret}.arn, ":{TEST_REGION}:", ":{STANDBY}:")}}'
        )
    assert outputs[f"key-{STANDBY}"]["value"] == f"${{aws_kms_key.{replica_key}.arn}}"


@pytest.mark.req("DC-3")
@pytest.mark.req("QA-1")
def test_a_replica_key_of_the_same_region_and_a_region_without_a_copy_are_refused():
    def same_region(stack):
        here = CustomerKey(stack, "here", CustomerKeyProps("secrets", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        _credentials(stack, replica_key=here)

    def elsewhere(stack):
        credentials = _credentials(stack)
        credentials.record_endpoint(host="db.example", port=5432)
        credentials.readable_in(STANDBY)

    with pytest.raises(ValueError, match="allowed: a 'secrets' key in a region other than"):
        synth_construct(same_region)
    with pytest.raises(ValueError, match=f"no copy of the database secrets in {STANDBY}"):
        synth_construct(elsewhere)
