"""Redis can only shorten the way to what PostgreSQL decided: it never decides a replay, and an
entry it cannot trust is a miss that is removed (APP-1)."""

import json
import uuid

import pytest
from pydantic import create_model

from payment_service import payment_cache
from payment_service.cache import Cache
from payment_service.config import Settings
from payment_service.models import Payment
from payment_service.payment_cache import PaymentCache, idempotency_key, payment_key

pytestmark = pytest.mark.req("APP-1")


def post(client, key, body, **headers):
    return client.post("/payments", json=body, headers={"Idempotency-Key": key, **headers})


def remove_rows(sql, payment_id):
    sql(f"DELETE FROM payment_events WHERE payment_id = '{payment_id}'; DELETE FROM payments WHERE id = '{payment_id}'")


UNREADABLE = [
    "not json at all",
    '{"payment_id": ',
    "[]",
    json.dumps({"payment_id": "not-a-uuid"}),
    json.dumps({"fingerprint": "0" * 64}),
]


@pytest.mark.parametrize("entry", UNREADABLE, ids=["not-json", "cut-short", "wrong-type", "bad-id", "old-format"])
def test_an_unreadable_idempotency_entry_is_a_miss_and_is_replaced(
    client, make_body, new_key, merchant, redis_cache, entry
):
    # GIVEN a payment whose Redis idempotency entry was corrupted
    key, body = new_key(), make_body()
    created = post(client, key, body).json()
    redis_cache.set(idempotency_key(merchant, key), entry)
    # WHEN the same request is replayed
    replay = post(client, key, body)
    # THEN PostgreSQL answers the replay and the entry is readable again
    assert (replay.status_code, replay.json()) == (200, created)
    assert json.loads(redis_cache.get(idempotency_key(merchant, key))) == {"payment_id": created["id"]}


@pytest.mark.parametrize("entry", ["{", json.dumps({"id": "x"}), "null"], ids=["cut-short", "partial", "null"])
def test_an_unreadable_payment_entry_is_a_miss_and_is_replaced(client, make_body, new_key, redis_cache, entry):
    created = post(client, new_key(), make_body()).json()
    redis_cache.set(payment_key(created["id"]), entry)
    read = client.get(f"/payments/{created['id']}")
    assert (read.status_code, read.json()) == (200, created)
    assert json.loads(redis_cache.get(payment_key(created["id"]))) == created


def test_an_entry_of_another_payment_is_not_served_for_this_id(client, make_body, new_key, redis_cache):
    first, second = (post(client, new_key(), make_body(amount_minor=amount)).json() for amount in (100, 200))
    redis_cache.set(payment_key(first["id"]), json.dumps(second))
    assert client.get(f"/payments/{first['id']}").json() == first


def test_cache_keys_carry_a_version_that_changes_with_the_payment_model(monkeypatch):
    # GIVEN the Payment model as a later release might shape it
    widened = create_model("Payment", __base__=Payment, captured_at=(str | None, None))
    current = payment_cache.SCHEMA_VERSION
    # WHEN the version is derived from it
    monkeypatch.setattr(payment_cache, "Payment", widened)
    # THEN it differs, so that release reads none of today's entries (and today's none of its)
    assert payment_cache._schema_version() != current
    assert f":{current}:" in idempotency_key("merchant-1", "key-1") and f":{current}:" in payment_key(uuid.uuid4())


def test_a_replay_whose_row_is_gone_is_decided_by_postgres(client, make_body, new_key, merchant, redis_cache, sql):
    # GIVEN a payment remembered in Redis whose rows were then removed from PostgreSQL
    key, body = new_key(), make_body()
    gone = post(client, key, body).json()
    remove_rows(sql, gone["id"])
    # WHEN the same request comes again
    again = post(client, key, body)
    # THEN the key is free in PostgreSQL, so it creates the payment anew; Redis follows
    assert again.status_code == 201 and again.json()["id"] != gone["id"]
    assert (
        sql(f"SELECT id FROM payments WHERE merchant_reference = '{merchant}' AND idempotency_key = '{key}'")
        == again.json()["id"]
    )
    assert json.loads(redis_cache.get(idempotency_key(merchant, key))) == {"payment_id": again.json()["id"]}


def test_a_replay_served_through_redis_answers_what_postgres_holds_now(client, make_body, new_key, sql):
    # GIVEN a remembered payment whose row changed since (the entry is stale)
    key, body = new_key(), make_body()
    created = post(client, key, body).json()
    sql(f"UPDATE payments SET status = 'succeeded' WHERE id = '{created['id']}'")
    # WHEN it is replayed
    replay = post(client, key, body)
    # THEN the answer is the row as it is now, not as it was remembered
    assert (replay.status_code, replay.json()) == (200, {**created, "status": "succeeded"})


def test_an_entry_pointing_at_another_merchants_payment_cannot_answer_a_replay(
    client, make_body, new_key, merchant, redis_cache, service, as_merchant
):
    # GIVEN this merchant's payment, and its Redis entry rewritten to point at another merchant's payment
    key, body = new_key(), make_body()
    own = post(client, key, body).json()
    other_body = make_body(merchant_reference=f"other-{merchant}")
    other = post(service.client, new_key(), other_body, **as_merchant(other_body["merchant_reference"])).json()
    redis_cache.set(idempotency_key(merchant, key), json.dumps({"payment_id": other["id"]}))
    # WHEN the merchant replays its request
    replay = post(client, key, body)
    # THEN PostgreSQL finds that the entry does not hold for this merchant and key, and answers with its own payment
    assert (replay.status_code, replay.json()) == (200, own)


@pytest.mark.asyncio
async def test_an_unreadable_entry_is_deleted_even_when_nothing_replaces_it(base_env, redis_cache):
    # GIVEN corrupt entries, read directly, with no request that would write them again
    cache = Cache(Settings.from_env(base_env).redis, None)
    entries = PaymentCache(cache)
    payment_id = uuid.uuid4()
    redis_cache.set(idempotency_key("merchant-x", "key-unreadable"), "{")
    redis_cache.set(payment_key(payment_id), "{")
    try:
        # WHEN they are read
        found = (await entries.replayed_payment_id("merchant-x", "key-unreadable"), await entries.payment(payment_id))
    finally:
        await cache.close()
    # THEN both are misses, and both are gone
    assert found == (None, None)
    assert redis_cache.exists(idempotency_key("merchant-x", "key-unreadable"), payment_key(payment_id)) == 0
