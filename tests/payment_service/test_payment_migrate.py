"""Migrations run by a command, never when the service starts; repeated or concurrent runs are safe;
deployed, the command creates the least-privilege application user from the two secrets (APP-1)."""

import asyncio
import json
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import pytest

from payment_service.credentials import SecretsManagerReader
from payment_service.migrations import MIGRATIONS, scram_verifier

pytestmark = pytest.mark.req("APP-1")


@pytest.fixture
def empty_database(postgres):
    role = f"fresh_{uuid.uuid4().hex[:8]}"
    return role, postgres.create_role_and_database(role, uuid.uuid4().hex, role)


def tables(postgres, database):
    return postgres.psql(
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'",
        database=database,
    )


def test_starting_the_service_creates_no_schema(postgres, empty_database, launch):
    database, dsn = empty_database
    service = launch(DATABASE_URL=dsn)
    assert service.client.get("/health").status_code == 200  # connected, and still nothing created
    assert tables(postgres, database) == ""


def test_the_migrate_command_creates_the_schema_once_and_reports_in_json(postgres, empty_database, cli):
    database, dsn = empty_database
    first, second = cli("migrate", {"DATABASE_URL": dsn}), cli("migrate", {"DATABASE_URL": dsn})
    assert (first.returncode, second.returncode) == (0, 0)
    assert tables(postgres, database) == "payment_events,payments,schema_migrations"
    reports = [
        json.loads(line)
        for run in (first, second)
        for line in run.stdout.splitlines()
        if json.loads(line)["message"] == "migrations done"
    ]
    assert [report["applied_versions"] for report in reports] == [",".join(str(m[0]) for m in MIGRATIONS), "none"]


def test_concurrent_migrations_apply_each_version_exactly_once(postgres, empty_database, cli):
    database, dsn = empty_database
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(lambda _: cli("migrate", {"DATABASE_URL": dsn}), range(3)))
    assert [run.returncode for run in runs] == [0, 0, 0]
    assert postgres.psql("SELECT count(*) FROM schema_migrations", database=database) == str(len(MIGRATIONS))


@pytest.mark.parametrize(
    "env, code",
    [({}, 2), ({"DATABASE_URL": "postgresql://x:y@127.0.0.1:1/none", "DB_CONNECT_TIMEOUT_SECONDS": "0.5"}, 1)],
    ids=["unconfigured", "database-down"],
)
def test_the_migrate_command_fails_with_a_clear_exit_code(cli, env, code):
    result = cli("migrate", env)
    assert result.returncode == code
    assert "Traceback" not in result.stderr


def test_migration_2_keeps_every_payment_and_makes_keys_unique_per_merchant(postgres, empty_database, cli):
    # GIVEN a database at version 1 holding payments (and their audit rows)
    database, dsn = empty_database
    version, name, sql = MIGRATIONS[0]
    postgres.psql(
        f"SET ROLE {database}; CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
        f" applied_at timestamptz NOT NULL DEFAULT now()); {sql};"
        f" INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}')",
        database=database,
    )
    postgres.psql(
        "WITH p AS (INSERT INTO payments (idempotency_key, request_fingerprint, merchant_reference,"
        " customer_reference, amount_minor, currency) SELECT 'order-' || n, repeat('0', 64), 'shop-' || n,"
        " 'customer-1', 100 * n, 'EUR' FROM generate_series(1, 3) n RETURNING id)"
        " INSERT INTO payment_events (payment_id, event_type) SELECT id, 'payment.created' FROM p",
        database=database,
    )
    snapshot = "SELECT string_agg(id || merchant_reference || idempotency_key, ',' ORDER BY id) FROM payments"
    before = postgres.psql(snapshot, database=database)
    # WHEN the rest of the migrations run
    assert cli("migrate", {"DATABASE_URL": dsn}).returncode == 0
    # THEN every payment is still there, unchanged
    assert postgres.psql(snapshot, database=database) == before
    assert postgres.psql("SELECT count(*) FROM payment_events", database=database) == "3"
    # AND another merchant may now use shop-1's key, while shop-1 still may not use it twice
    insert = (
        "INSERT INTO payments (idempotency_key, request_fingerprint, merchant_reference, customer_reference,"
        " amount_minor, currency) VALUES ('order-1', repeat('0', 64), '{merchant}', 'customer-1', 1, 'EUR')"
    )
    postgres.psql(insert.format(merchant="shop-2"), database=database)
    with pytest.raises(subprocess.CalledProcessError) as refused:
        postgres.psql(insert.format(merchant="shop-1"), database=database)
    assert "payments_idempotency_key_unique" in refused.value.stderr


@pytest.fixture
def rds_handover(postgres, secrets_manager, session_record):
    """A database as the data tier hands it over: owned by a master user who may create roles but is
    no superuser (as on RDS), the master and application secrets in Secrets Manager, no application user."""
    suffix = uuid.uuid4().hex[:8]
    master, app, database = f"admin_{suffix}", f"app_{suffix}", f"payments_{suffix}"
    passwords = {master: uuid.uuid4().hex, app: uuid.uuid4().hex}
    session_record.sensitive.update(passwords.values())
    postgres.psql(f"CREATE ROLE {master} LOGIN CREATEROLE PASSWORD '{passwords[master]}'")
    postgres.psql(f"CREATE DATABASE {database} OWNER {master}")
    arns = {
        user: secrets_manager.create_secret(
            Name=f"meridian/test/{user}",
            SecretString=json.dumps(
                {
                    "engine": "postgres",
                    "username": user,
                    "password": password,
                    "host": "127.0.0.1",
                    "port": postgres.port,
                    "dbname": database,
                }
            ),
        )["ARN"]
        for user, password in passwords.items()
    }

    class Handover:
        app_user, app_password, name = app, passwords[app], database
        # The migrate task's environment (constructs_lib/payment_tasks.py), Secrets Manager on loopback.
        env = {
            "DB_SECRET_ARN": arns[app],
            "DB_MASTER_SECRET_ARN": arns[master],
            "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": secrets_manager.meta.endpoint_url,
            "AWS_ACCESS_KEY_ID": "test-only",
            "AWS_SECRET_ACCESS_KEY": "test-only",
        }
        app_dsn = postgres.dsn(user=app, password=passwords[app], database=database)

    return Handover()


def run_as(dsn: str, statement: str) -> str:
    """Runs one statement as the DSN's user; the error class name when PostgreSQL refuses it."""

    async def attempt() -> str:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
            return "done"
        except asyncpg.PostgresError as error:
            return type(error).__name__
        finally:
            await connection.close()

    return asyncio.run(attempt())


@pytest.mark.req("APP-3")
@pytest.mark.req("SEC-5")
def test_deployed_migrate_creates_the_application_user_with_only_what_the_service_needs(
    postgres, rds_handover, cli, launch, secrets_manager, make_body, new_key
):
    # GIVEN the handover, WHEN the migrate task runs (twice: before each deploy)
    first, second = cli("migrate", rds_handover.env), cli("migrate", rds_handover.env)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    ready = [json.loads(line) for run in (first, second) for line in run.stdout.splitlines()]
    assert [line["app_user_created"] for line in ready if line["message"] == "application user ready"] == [True, False]
    # THEN the schema belongs to the master user, and the application user logs in with its secret's
    # password, stored only as a SCRAM verifier (the password itself never crossed the wire)
    owners = postgres.psql(
        "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'",
        database=rds_handover.name,
    )
    assert owners.startswith("admin_")
    stored = postgres.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{rds_handover.app_user}'")
    assert stored.startswith("SCRAM-SHA-256$4096:") and rds_handover.app_password not in stored
    # AND the service, reading the application secret, creates and reads payments as that user
    service = launch(
        secret_reader=SecretsManagerReader(client=secrets_manager),
        DB_SECRET_ARN=rds_handover.env["DB_SECRET_ARN"],
        DATABASE_URL="",
    )
    created = service.client.post("/payments", json=make_body(), headers={"Idempotency-Key": new_key()})
    assert created.status_code == 201
    assert service.client.get(f"/payments/{created.json()['id']}").status_code == 200
    # AND it can change nothing it wrote, nor the schema
    refused = {
        statement: run_as(rds_handover.app_dsn, statement)
        for statement in (
            "UPDATE payments SET amount_minor = 1",
            "DELETE FROM payments",
            "DELETE FROM payment_events",
            "UPDATE payment_events SET event_type = 'x'",
            "DROP TABLE payment_events",
            "CREATE TABLE shadow (id int)",
            "DELETE FROM schema_migrations",
        )
    }
    assert set(refused.values()) == {"InsufficientPrivilegeError"}, refused


def test_a_verifier_is_what_postgresql_itself_derives_from_the_password(postgres):
    # GIVEN a verifier computed here, set as a role's password
    role, password = f"scram_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    postgres.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{scram_verifier(password)}'")
    # THEN the role logs in with the password (and not with another)
    dsn = postgres.dsn(user=role, password=password)
    assert run_as(dsn, "SELECT 1") == "done"
    with pytest.raises(asyncpg.InvalidPasswordError):
        asyncio.run(asyncpg.connect(postgres.dsn(user=role, password="not-" + password)))
