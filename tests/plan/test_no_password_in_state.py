"""SEC-3: no generated database password reaches a Terraform plan or state.

GIVEN the database credentials wired to an Aurora cluster as the data tier wires them, and the
offline stand-in recording every password it generates (MERIDIAN_OFFLINE_PASSWORD_LOG),
WHEN Terraform validates, plans and applies the stack,
THEN the passwords were generated (one per user per run that needed them) and passed to the
cluster and the secrets (which replicate to a standby region), yet not one of them appears in `terraform show -json` of the plan or in
the state file; the write-only arguments are null there and only their versions are recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster

from constructs_lib.db_credentials import DatabaseCredentials, DatabaseCredentialsProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from tests.plan.conftest import PASSWORD_LOG
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, synth_construct
from tools.tfplan import terraform
from tools.tfplan.stand_in import offline_cli_config, require_stand_in

REGION = "us-east-1"
STANDBY = "us-west-2"


def _database(stack) -> None:
    key = CustomerKey(stack, "secrets", CustomerKeyProps("secrets", TEST_NAMING, TEST_ACCOUNT, REGION))
    # both secrets replicate to a standby region, as the primary stack's do (DC-3)
    replica_key = CustomerKey(
        stack, "replica", CustomerKeyProps("secrets", TEST_NAMING, TEST_ACCOUNT, STANDBY, qualifier="replica")
    )
    credentials = DatabaseCredentials(
        stack, "credentials", DatabaseCredentialsProps(TEST_NAMING, key, "payments", REGION, replica_key=replica_key)
    )
    cluster = RdsCluster(
        stack,
        "cluster",
        cluster_identifier="meridian-db-test",
        engine="aurora-postgresql",
        master_username=credentials.master.username,
        master_password_wo=credentials.master.password,
        master_password_wo_version=credentials.master.password_version,
    )
    credentials.record_endpoint(host=cluster.endpoint, port=cluster.port)


def _run(directory: Path, *args: str) -> str:
    return terraform.run([*args, "-no-color"], directory, cli_config=offline_cli_config()).stdout


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    directory = tmp_path_factory.mktemp("credentials")
    (directory / "main.tf.json").write_text(json.dumps(synth_construct(_database)))
    log = directory / "generated-passwords"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PASSWORD_LOG, str(log))
        _run(directory, "init", "-input=false")
        validation = json.loads(_run(directory, "validate", "-json"))
        _run(directory, "plan", "-input=false", "-out=tfplan")
        plan = _run(directory, "show", "-json", "tfplan")
        require_stand_in(directory)
        _run(directory, "apply", "-input=false", "-auto-approve", "tfplan")
    return {
        "validation": validation,
        "plan": plan,
        "state": (directory / "terraform.tfstate").read_text(),
        "passwords": log.read_text().splitlines(),
    }


@pytest.mark.req("SEC-3")
def test_the_configuration_is_valid_without_warnings(applied):
    assert (applied["validation"]["error_count"], applied["validation"]["warning_count"]) == (0, 0), applied[
        "validation"
    ]


@pytest.mark.req("SEC-3")
def test_passwords_were_generated_and_appear_in_neither_plan_nor_state(applied):
    passwords = applied["passwords"]

    assert len(passwords) >= 2 and len(set(passwords)) == len(passwords), "master and app password, fresh each run"
    assert all(len(password) == 32 for password in passwords)
    for password in passwords:
        assert password not in applied["plan"], "a generated password is in the plan"
        assert password not in applied["state"], "a generated password is in the state"


@pytest.mark.req("SEC-3")
def test_write_only_arguments_are_null_in_state_and_only_their_versions_recorded(applied):
    resources = json.loads(applied["state"])["resources"]
    values = {(r["type"], r["name"]): r["instances"][0]["attributes"] for r in resources}

    assert {r["mode"] for r in resources} == {"managed"}, "an ephemeral resource is never in state"
    cluster = next(v for (type_, _), v in values.items() if type_ == "aws_rds_cluster")
    assert cluster["master_password_wo"] is None and cluster["master_password"] is None
    assert cluster["master_password_wo_version"] == 1
    versions = [v for (type_, _), v in values.items() if type_ == "aws_secretsmanager_secret_version"]
    assert len(versions) == 2
    assert all(v["secret_string_wo"] is None and v["secret_string"] is None for v in versions)
    assert all(v["secret_string_wo_version"] == 1 for v in versions)
    # AND the replicated secrets hold no value of their own in state either: only where the replica is
    secrets = [v for (type_, _), v in values.items() if type_ == "aws_secretsmanager_secret"]
    assert len(secrets) == 2 and all([r["region"] for r in s["replica"]] == [STANDBY] for s in secrets)


@pytest.mark.req("SEC-3")
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_composed_primary_stack_keeps_its_generated_passwords_out_of_plan_and_state(planned, generated_passwords, env):
    """GIVEN the primary stack as the app composes it (global database, credentials), planned and
    applied on the stand-in, WHEN the passwords it generated are looked for, THEN none is in the plan
    or the state, and the cluster and both secret versions got theirs through write-only arguments."""
    primary = planned[env]["primary"]
    passwords = generated_passwords.read_text().splitlines()
    plan_text = json.dumps(primary.plan.raw)
    state_text = (primary.applied.directory / "terraform.tfstate").read_text()

    assert len(passwords) >= 2 * len(planned), "each environment's master and app password were generated"
    for password in passwords:
        assert password not in plan_text, "a generated password is in the plan"
        assert password not in state_text, "a generated password is in the state"
    state = {(r["type"], r["name"]): r for r in json.loads(state_text)["resources"] if r["mode"] == "managed"}
    (cluster,) = [
        r["instances"][0]["attributes"]
        for (type_, _), r in state.items()
        if type_ == "aws_rds_cluster" and r["instances"][0]["attributes"]["master_username"]
    ]
    assert cluster["master_password_wo_version"] == 1 and cluster["master_password"] is None
    versions = [
        r["instances"][0]["attributes"]
        for (t, name), r in state.items()
        if t == "aws_secretsmanager_secret_version" and name.startswith("stores_credentials_")
    ]
    assert len(versions) == 2 and all(v["secret_string_wo_version"] == 1 for v in versions)
    assert all(v["secret_string"] is None for v in versions)
