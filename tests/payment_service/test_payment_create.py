"""Creating payments: stored once per Idempotency-Key, replayed, conflicts refused (APP-1)."""

import json

import pytest

from payment_service.payment_cache import idempotency_key

pytestmark = pytest.mark.req("APP-1")


def post(client, key, body):
    return client.post("/payments", json=body, headers={"Idempotency-Key": key})


def test_a_new_key_creates_the_payment_and_its_audit_event_in_postgres(client, make_body, new_key, sql):
    # GIVEN a valid body and a key never used
    key, body = new_key(), make_body(amount_minor=12345, currency="JPY")
    # WHEN it is posted
    response = post(client, key, body)
    # THEN it is created, pending, and stored with exactly one audit event
    assert response.status_code == 201
    payment = response.json()
    assert {k: payment[k] for k in body} == body
    assert payment["status"] == "pending"
    assert (
        sql(f"SELECT amount_minor, currency, status FROM payments WHERE idempotency_key = '{key}'")
        == "12345|JPY|pending"
    )
    assert sql(f"SELECT event_type FROM payment_events WHERE payment_id = '{payment['id']}'") == "payment.created"


def test_the_same_key_and_body_replays_the_original_payment_with_200(client, make_body, new_key, sql):
    key, body = new_key(), make_body()
    first = post(client, key, body)
    # Key order and whitespace do not change the request: the fingerprint is of the validated fields.
    reordered = json.dumps(dict(reversed(body.items())), indent=4)
    replay = client.post(
        "/payments", content=reordered, headers={"Idempotency-Key": key, "Content-Type": "application/json"}
    )
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "1"


@pytest.mark.parametrize("cache", ["warm", "flushed"], ids=["from-redis", "from-postgres"])
def test_the_same_key_with_a_different_body_is_409_and_changes_nothing(
    client, make_body, new_key, sql, redis_cache, cache, merchant
):
    key, body = new_key(), make_body()
    original = post(client, key, body).json()
    if cache == "flushed":
        # Without the Redis entry the database's stored fingerprint must catch the reuse.
        assert redis_cache.delete(idempotency_key(merchant, key)) == 1
    response = post(client, key, {**body, "amount_minor": body["amount_minor"] + 1})
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_key_reused"
    assert sql(f"SELECT id, amount_minor FROM payments WHERE idempotency_key = '{key}'") == f"{original['id']}|1999"
