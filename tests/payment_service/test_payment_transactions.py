"""Transactions pin READ COMMITTED whatever the server's default; when PostgreSQL gives up on a
statement, turns read-only, or every pooled connection is busy, the answer is a retryable 503 with
Retry-After, never a 500, and nothing is stored (APP-1)."""

import asyncio
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest

pytestmark = pytest.mark.req("APP-1")


@pytest.fixture
def own_database(postgres, migrated_database):
    """A migrated database and role of this test's own, whose settings the test may change."""
    role = f"tx_{uuid.uuid4().hex[:8]}"
    dsn = migrated_database(postgres, role, uuid.uuid4().hex, role)
    return role, dsn


def post(client, key, body):
    return client.post("/payments", json=body, headers={"Idempotency-Key": key})


def stored(postgres, database, key) -> str:
    return postgres.psql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'", database=database)


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.mark.asyncio
async def test_a_repeatable_read_default_does_not_turn_duplicates_into_errors(
    postgres, own_database, launch, make_body, new_key, merchant, as_merchant
):
    # GIVEN a role whose sessions default to REPEATABLE READ, a service with a connection per request,
    # and an audit insert slow enough that every duplicate meets the first one's uncommitted row
    role, dsn = own_database
    postgres.psql(f"ALTER ROLE {role} SET default_transaction_isolation = 'repeatable read'")
    postgres.psql(
        "CREATE FUNCTION slow_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW;"
        " END $$; CREATE TRIGGER slow_audit BEFORE INSERT ON payment_events FOR EACH ROW EXECUTE FUNCTION slow_audit()",
        database=role,
    )
    service = launch(DATABASE_URL=dsn, DB_POOL_MIN="8")
    assert service.client.get(f"/payments/{uuid.uuid4()}").status_code == 404  # pool open, keys loaded
    key, body = new_key(), make_body()
    # WHEN 8 duplicates race
    async with httpx.AsyncClient(base_url=service.url, timeout=30, headers=as_merchant(merchant)) as client:
        responses = await asyncio.gather(
            *(client.post("/payments", json=body, headers={"Idempotency-Key": key}) for _ in range(8))
        )
    # THEN one created the payment and seven replayed it
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 7}
    assert stored(postgres, role, key) == "1"


@pytest.mark.parametrize(
    "sqlstate",
    ["40001", "40P01", "57014", "55P03"],
    ids=["serialization-failure", "deadlock", "statement-timeout", "lock-timeout"],
)
def test_a_statement_the_server_gives_up_on_is_503_database_busy(
    postgres, own_database, launch, make_body, new_key, sqlstate
):
    # GIVEN a database whose audit insert fails with the SQLSTATE PostgreSQL uses for the case
    role, dsn = own_database
    postgres.psql(
        f"CREATE FUNCTION give_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$;"
        " CREATE TRIGGER give_up BEFORE INSERT ON payment_events FOR EACH ROW EXECUTE FUNCTION give_up()",
        database=role,
    )
    service = launch(DATABASE_URL=dsn)
    key = new_key()
    # WHEN a payment is posted
    answer = post(service.client, key, make_body())
    # THEN the client is told to retry, and the payment row was rolled back with the audit row
    assert (answer.status_code, answer.json()["error"]) == (503, "database_busy")
    assert answer.headers["Retry-After"] == "2"
    assert stored(postgres, role, key) == "0"


def test_a_writer_turned_read_only_is_503_and_the_pool_reconnects(postgres, own_database, launch, make_body, new_key):
    # GIVEN a service connected to a database that turns read-only, as a failed-over writer does
    role, dsn = own_database
    service = launch(DATABASE_URL=dsn, DB_POOL_MIN="1")
    assert service.client.get(f"/payments/{uuid.uuid4()}").status_code == 404  # the pool is open
    postgres.psql(f"ALTER DATABASE {role} SET default_transaction_read_only = on")
    postgres.terminate_sessions(role)
    assert service.client.get(f"/payments/{uuid.uuid4()}").status_code == 404  # reconnected, read-only now
    key, body = new_key(), make_body()
    # WHEN a payment is posted, and again once the endpoint points at a writer
    refused = post(service.client, key, body)
    postgres.psql(f"ALTER DATABASE {role} RESET default_transaction_read_only")
    retried = post(service.client, key, body)
    # THEN the first is a retryable 503 and the retry, on fresh connections, creates the payment
    assert (refused.status_code, refused.json()["error"], refused.headers["Retry-After"]) == (
        503,
        "database_unavailable",
        "2",
    )
    assert retried.status_code == 201
    assert stored(postgres, role, key) == "1"


def test_an_exhausted_pool_is_503_database_busy_not_an_outage(
    postgres, own_database, launch, make_body, new_key, captured_logs
):
    # GIVEN a service with one pooled connection, held by a request waiting on a table lock
    role, dsn = own_database
    service = launch(DATABASE_URL=dsn, DB_POOL_MIN="1", DB_POOL_MAX="1", DB_CONNECT_TIMEOUT_SECONDS="0.5")
    key, body = new_key(), make_body()
    answers = {}
    with postgres.transaction_held_open("LOCK TABLE payments IN ACCESS EXCLUSIVE MODE;", database=role):
        wait_until(
            lambda: (
                postgres.psql(
                    "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock'"
                    " AND relation = 'payments'::regclass AND granted",
                    database=role,
                )
                == "1"
            )
        )
        holder = threading.Thread(target=lambda: answers.update(first=post(service.client, key, body)))
        holder.start()
        wait_until(
            lambda: (
                postgres.psql(
                    f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{role}' AND wait_event_type = 'Lock'"
                )
                == "1"
            )
        )
        # WHEN another request needs a connection
        busy = service.client.get(f"/payments/{uuid.uuid4()}")
    holder.join(timeout=30)
    # THEN it is told the database is busy (not down), and the held request completes once the lock goes
    assert (busy.status_code, busy.json()["error"], busy.headers["Retry-After"]) == (503, "database_busy", "2")
    assert answers["first"].status_code == 201
    messages = [line["message"] for line in captured_logs()]
    assert "database pool exhausted" in messages
    assert "database connection failed" not in messages and "database unavailable" not in messages
