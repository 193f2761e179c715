"""Redis down: still correct, only slower. PostgreSQL down: 503, nothing half-written (APP-1)."""

import threading
import time
import uuid

import pytest

from payment_service.localservers import LocalPostgres, LocalRedis, free_port
from payment_service.payment_cache import idempotency_key

pytestmark = pytest.mark.req("APP-1")


def post(client, key, body):
    return client.post("/payments", json=body, headers={"Idempotency-Key": key})


def assert_correct_from_postgres_alone(service, make_body, new_key, sql, earlier=None):
    """Create, replay, conflict, read and list all behave as with Redis; /health stays 200 and names redis."""
    key, body = earlier or (new_key(), make_body())
    created = post(service.client, key, body)
    assert created.status_code == (200 if earlier else 201)
    assert post(service.client, key, body).json() == created.json()
    assert post(service.client, key, {**body, "amount_minor": 1}).status_code == 409
    assert service.client.get(f"/payments/{created.json()['id']}").json() == created.json()
    listed = service.client.get("/payments", params={"merchant": body["merchant_reference"]}).json()
    assert listed["items"] == [created.json()]
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "1"
    health = service.client.get("/health")
    assert (health.status_code, health.json()["status"]) == (200, "degraded")
    assert health.json()["failed"] == ["redis"]
    assert health.json()["checks"] == {"postgres": "ok", "redis": "unavailable"}


def test_without_a_reachable_redis_every_endpoint_stays_correct(launch, make_body, new_key, sql):
    service = launch(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert_correct_from_postgres_alone(service, make_body, new_key, sql)


def test_when_redis_stops_after_caching_the_database_answers_the_same(launch, make_body, new_key, sql):
    redis_server = LocalRedis.start()
    try:
        service = launch(REDIS_URL=redis_server.url, REDIS_AUTH_TOKEN=redis_server.password)
        key, body = new_key(), make_body()
        assert post(service.client, key, body).status_code == 201
        redis_server.halt()
        assert_correct_from_postgres_alone(service, make_body, new_key, sql, earlier=(key, body))
    finally:
        redis_server.stop()


@pytest.fixture(scope="module")
def fragile(migrated_database):
    """A PostgreSQL of its own, which these tests stop and crash, and its migrated database."""
    server = LocalPostgres.start()
    dsn = migrated_database(server, "fragile_app", uuid.uuid4().hex, "fragile")
    yield server, dsn
    server.stop()


def test_with_postgres_down_health_names_it_and_writes_fail_with_503_until_it_returns(
    fragile, launch, make_body, new_key
):
    server, dsn = fragile
    service = launch(DATABASE_URL=dsn)
    key, body = new_key(), make_body()
    server.halt("fast")
    try:
        health = service.client.get("/health")
        refused = post(service.client, key, body)
        read = service.client.get(f"/payments/{uuid.uuid4()}")
    finally:
        server.resume()
    assert (health.status_code, health.json()["failed"]) == (503, ["postgres"])
    assert health.json()["checks"] == {"postgres": "unavailable", "redis": "ok"}
    assert (refused.status_code, refused.json()["error"]) == (503, "database_unavailable")
    assert refused.headers["Retry-After"] == "2"
    assert read.status_code == 503
    # The key was not burned: the client's retry creates the payment once PostgreSQL is back.
    assert post(service.client, key, body).status_code == 201
    assert service.client.get("/health").status_code == 200


SLOW_AUDIT = """
CREATE FUNCTION slow_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(20); RETURN NEW; END $$;
CREATE TRIGGER slow_audit BEFORE INSERT ON payment_events FOR EACH ROW EXECUTE FUNCTION slow_audit();
"""


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_crash_between_the_payment_and_its_audit_event_leaves_neither(
    fragile, launch, make_body, new_key, redis_cache, merchant
):
    # GIVEN an audit insert that hangs, so the payment row is written but not committed
    server, dsn = fragile
    server.psql(SLOW_AUDIT, database="fragile")
    service = launch(DATABASE_URL=dsn)
    key, body = new_key(), make_body()
    answer = {}
    request = threading.Thread(target=lambda: answer.update(response=post(service.client, key, body)))
    request.start()
    wait_until(lambda: server.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") == "1")
    # WHEN PostgreSQL crashes mid-transaction
    server.halt("immediate")
    request.join(timeout=30)
    server.resume()
    server.psql("DROP TRIGGER slow_audit ON payment_events; DROP FUNCTION slow_audit()", database="fragile")
    # THEN the client got a 503 and neither store holds any trace of the payment
    assert answer["response"].status_code == 503
    assert server.psql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'", database="fragile") == "0"
    assert server.psql("SELECT count(*) FROM payment_events", database="fragile") == server.psql(
        "SELECT count(*) FROM payments", database="fragile"
    )
    assert redis_cache.exists(idempotency_key(merchant, key)) == 0
    # AND the same request succeeds once PostgreSQL is back
    assert post(service.client, key, body).status_code == 201
