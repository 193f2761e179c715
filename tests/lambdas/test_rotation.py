"""PostgreSQL secret rotation, single-user strategy, against moto and a real PostgreSQL (LAM-1, SEC-4, QA-3)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from lambda_src.rotation.database import DatabaseUnreachable
from lambda_src.rotation.observability import logger as rotation_logger
from lambda_src.rotation.secret_store import AWSPENDING, RotationError
from payment_service import localservers
from tests.lambdas.conftest import ROTATION_STEPS

pytestmark = [pytest.mark.req("LAM-1"), pytest.mark.req("QA-3")]

SAFE_PASSWORD = re.compile(r"^[A-Za-z0-9._~-]{32}$")


@pytest.mark.req("SEC-4")
def test_rotating_the_application_secret_changes_the_password_and_the_new_one_logs_in(database_user, rotation, logs_in):
    # GIVEN the application user's secret, which logs in
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    assert logs_in(before)
    # WHEN Secrets Manager rotates it through the function
    token = rotation.rotate(user.secret_id)
    # THEN AWSCURRENT is the new version with a new password that logs in, and the old one does not
    after = rotation.value(user.secret_id, "AWSCURRENT")
    assert after["password"] != before["password"]
    assert {key: value for key, value in after.items() if key != "password"} == {
        key: value for key, value in before.items() if key != "password"
    }
    assert logs_in(after) and not logs_in(before)
    labels = rotation.labels(user.secret_id)
    assert "AWSCURRENT" in labels[token]
    assert rotation.value(user.secret_id, "AWSPREVIOUS") == before


def test_the_master_secret_rotates_with_the_same_function_and_keeps_its_privileges(
    database_user, rotation, logs_in, postgres
):
    master = database_user(master=True)
    before = rotation.value(master.secret_id, "AWSCURRENT")
    rotation.rotate(master.secret_id)
    after = rotation.value(master.secret_id, "AWSCURRENT")
    assert logs_in(after) and not logs_in(before)
    flags = postgres.psql(f"SELECT rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = '{master.username}'")
    assert flags == "t|t"


@pytest.mark.req("SEC-4")
def test_a_second_rotation_starts_from_the_first_ones_password(database_user, rotation, logs_in):
    # GIVEN a secret rotated once, as the 30-day schedule does
    user = database_user()
    original = rotation.value(user.secret_id, "AWSCURRENT")
    rotation.rotate(user.secret_id)
    first = rotation.value(user.secret_id, "AWSCURRENT")
    # WHEN it rotates again
    rotation.rotate(user.secret_id)
    # THEN the second password logs in, the first is AWSPREVIOUS, and neither older one logs in
    second = rotation.value(user.secret_id, "AWSCURRENT")
    assert len({original["password"], first["password"], second["password"]}) == 3
    assert rotation.value(user.secret_id, "AWSPREVIOUS") == first
    assert logs_in(second) and not logs_in(first) and not logs_in(original)


def test_a_database_back_on_the_previous_password_still_rotates(database_user, rotation, logs_in, postgres):
    # GIVEN a rotated secret whose database was put back on the password before (a restored snapshot)
    user = database_user()
    rotation.rotate(user.secret_id)
    previous = rotation.value(user.secret_id, "AWSPREVIOUS")
    postgres.set_password(user.username, previous["password"])
    assert not logs_in(rotation.value(user.secret_id, "AWSCURRENT"))
    # WHEN the next rotation runs THEN setSecret logs in with AWSPREVIOUS and the rotation completes
    rotation.rotate(user.secret_id)
    assert logs_in(rotation.value(user.secret_id, "AWSCURRENT"))


@pytest.mark.req("SEC-4")
def test_the_new_password_is_32_connection_string_safe_characters(database_user, rotation):
    user = database_user()
    rotation.rotate(user.secret_id)
    value = rotation.value(user.secret_id, "AWSCURRENT")
    assert SAFE_PASSWORD.match(value["password"])
    # unquoted in a URL, it parses back to itself
    url = f"postgresql://{value['username']}:{value['password']}@{value['host']}:{value['port']}/{value['dbname']}"
    assert urlsplit(url).password == value["password"]


@pytest.mark.req("SEC-4")
def test_no_password_reaches_the_server_log_or_the_function_log(database_user, rotation, postgres, function_log):
    # GIVEN a server that logs every statement, and the function's log as CloudWatch would get it
    user = database_user()
    read_function_log = function_log(rotation_logger)
    server_log_file = postgres.root / "server.log"
    setup_written = server_log_file.stat().st_size
    # WHEN the secret rotates
    rotation.rotate(user.secret_id)
    new_password = rotation.value(user.secret_id, "AWSCURRENT")["password"]
    # THEN the server got a SCRAM verifier, never the password, and the function logged neither password
    server_log = server_log_file.read_bytes()[setup_written:].decode()
    assert "ALTER ROLE CURRENT_USER PASSWORD 'SCRAM-SHA-256$4096:" in server_log
    function_log = read_function_log()
    assert "createSecret" in function_log and "finishSecret" in function_log
    for password in (new_password, user.initial_password):
        assert password not in server_log
        assert password not in function_log
    stored = postgres.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{user.username}'")
    assert stored.startswith("SCRAM-SHA-256$4096:")


def test_every_step_run_twice_leaves_the_same_result(database_user, rotation, logs_in):
    # GIVEN a rotation in which Secrets Manager invokes every step twice
    user = database_user()
    token = rotation.start(user.secret_id)
    rotation.invoke(user.secret_id, token, "createSecret")
    pending = rotation.value(user.secret_id, AWSPENDING, token)
    for step in ROTATION_STEPS:
        rotation.invoke(user.secret_id, token, step)
    # THEN the second createSecret kept the password the first one made, and that password is current
    assert rotation.value(user.secret_id, AWSPENDING, token) == pending
    assert rotation.value(user.secret_id, "AWSCURRENT") == pending
    assert logs_in(pending)


def test_a_completed_version_is_left_alone_by_any_step(database_user, rotation, logs_in):
    user = database_user()
    token = rotation.rotate(user.secret_id)
    current = rotation.value(user.secret_id, "AWSCURRENT")
    rotation.run(user.secret_id, token)
    assert rotation.value(user.secret_id, "AWSCURRENT") == current and logs_in(current)


@pytest.mark.parametrize(
    "case, message",
    [
        ("rotation-off", "not enabled for rotation"),
        ("unknown-token", "has no version"),
        ("not-pending", "is not AWSPENDING"),
        ("unknown-step", "unknown step 'dropSecret'"),
    ],
)
def test_the_rotation_contract_checks_refuse_the_step_and_change_nothing(
    case, message, database_user, rotation, rotation_env, logs_in
):
    user = database_user()
    secrets = rotation_env.client("secretsmanager")
    step, token = "createSecret", rotation.start(user.secret_id)
    if case == "rotation-off":
        secrets.cancel_rotate_secret(SecretId=user.secret_id)
    if case == "unknown-token":
        token = "11111111-1111-4111-8111-111111111111"
    if case == "not-pending":
        secrets.update_secret_version_stage(SecretId=user.secret_id, VersionStage=AWSPENDING, RemoveFromVersionId=token)
    if case == "unknown-step":
        step = "dropSecret"
    before = rotation.value(user.secret_id, "AWSCURRENT")
    with pytest.raises(RotationError, match=message):
        rotation.invoke(user.secret_id, token, step)
    assert rotation.value(user.secret_id, "AWSCURRENT") == before and logs_in(before)


def test_a_pending_version_that_names_another_host_is_refused(database_user, rotation, rotation_env, logs_in):
    # GIVEN an AWSPENDING version pointing at another host (a tampered or mistaken secret)
    user = database_user()
    token = rotation.start(user.secret_id)
    rotation.invoke(user.secret_id, token, "createSecret")
    elsewhere = {**rotation.value(user.secret_id, AWSPENDING, token), "host": "db.elsewhere.invalid"}
    rotation_env.client("secretsmanager").put_secret_value(
        SecretId=user.secret_id,
        ClientRequestToken=token,
        SecretString=json.dumps(elsewhere),
        VersionStages=[AWSPENDING],
    )
    # WHEN setSecret runs THEN it refuses, and the database still takes AWSCURRENT
    with pytest.raises(RotationError, match="another host"):
        rotation.invoke(user.secret_id, token, "setSecret")
    assert logs_in(rotation.value(user.secret_id, "AWSCURRENT"))


def test_a_database_certificate_from_an_untrusted_authority_stops_the_rotation(
    database_user, rotation, logs_in, monkeypatch, tmp_path
):
    # GIVEN a function that trusts another CA than the one that issued the server's certificate
    user = database_user()
    other_ca = localservers.TestCertificates.create(tmp_path).ca_file  # a new CA each time
    monkeypatch.setenv("DB_SSL_ROOT_CERT", str(other_ca))
    token = rotation.start(user.secret_id)
    rotation.invoke(user.secret_id, token, "createSecret")
    # WHEN setSecret tries to log in THEN TLS verification fails and nothing changes
    with pytest.raises(DatabaseUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
        rotation.invoke(user.secret_id, token, "setSecret")
    assert logs_in(rotation.value(user.secret_id, "AWSCURRENT"))
    assert not logs_in(rotation.value(user.secret_id, AWSPENDING, token))


def test_a_secret_without_the_postgresql_fields_is_refused_by_name(rotation, rotation_env):
    secrets = rotation_env.client("secretsmanager")
    secret_id = secrets.create_secret(
        Name="meridian-test/incomplete", SecretString=json.dumps({"engine": "postgres", "username": "app"})
    )["ARN"]
    token = rotation.start(secret_id)
    with pytest.raises(RotationError, match="has no host, password"):
        rotation.invoke(secret_id, token, "createSecret")
