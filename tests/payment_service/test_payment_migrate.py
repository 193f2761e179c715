"""Migrations run by a command, never when the service starts; repeated or concurrent runs are safe (APP-1)."""

import json
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
    reports = [json.loads(line) for run in (first, second) for line in run.stdout.splitlines()
               if json.loads(line)["message"] == "migrations done"]
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
