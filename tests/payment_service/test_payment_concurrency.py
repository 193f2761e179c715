"""Concurrent duplicates never create two payments: the database decides, not Redis (APP-1)."""

import asyncio
from collections import Counter

import httpx
import pytest

pytestmark = pytest.mark.req("APP-1")
DUPLICATES = 60


async def post_all(url: str, key: str, bodies: list[dict], headers: dict[str, str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits, headers=headers) as client:
        return await asyncio.gather(
            *(client.post("/payments", json=body, headers={"Idempotency-Key": key}) for body in bodies)
        )


@pytest.mark.asyncio
async def test_concurrent_duplicates_create_exactly_one_payment_and_identical_answers(
    service, make_body, new_key, sql, merchant, as_merchant
):
    # GIVEN one key and one body, sent 60 times at once
    key, body = new_key(), make_body()
    # WHEN all requests race
    responses = await post_all(service.url, key, [body] * DUPLICATES, as_merchant(merchant))
    # THEN one created the payment, every other one replayed it, and the database holds one row
    assert Counter(r.status_code for r in responses) == {201: 1, 200: DUPLICATES - 1}
    assert len({r.text for r in responses}) == 1
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "1"
    assert (
        sql(
            f"SELECT count(*) FROM payment_events e JOIN payments p ON p.id = e.payment_id"
            f" WHERE p.idempotency_key = '{key}'"
        )
        == "1"
    )


@pytest.mark.asyncio
async def test_concurrent_requests_reusing_a_key_with_two_bodies_store_only_the_winner(
    service, make_body, new_key, sql, merchant, as_merchant
):
    # One merchant, one key, two bodies: keys are per merchant, so the race is within one merchant.
    key, first, second = new_key(), make_body(amount_minor=1000), make_body(amount_minor=2000)
    responses = await post_all(service.url, key, [first, second] * (DUPLICATES // 2), as_merchant(merchant))
    winner = next(r.json() for r in responses if r.status_code == 201)
    winning_body = first if winner["amount_minor"] == first["amount_minor"] else second
    for body, response in zip([first, second] * (DUPLICATES // 2), responses, strict=True):
        if body is winning_body:
            assert response.status_code in (200, 201) and response.json() == winner
        else:
            assert response.status_code == 409
    assert sql(f"SELECT id FROM payments WHERE idempotency_key = '{key}'") == winner["id"]
