"""Migrations run by a command, never when the service starts; repeated or concurrent runs are safe (APP-1)."""

import json
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from payment_service.migrations import MIGRATIONS

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
