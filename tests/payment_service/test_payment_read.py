"""Reading one payment and paging through a merchant's payments (APP-1)."""

import pytest

from payment_service.payment_cache import payment_key

pytestmark = pytest.mark.req("APP-1")


def create(client, new_key, body):
    response = client.post("/payments", json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201
    return response.json()


def test_a_created_payment_reads_back_unchanged(client, make_body, new_key, redis_cache):
    payment = create(client, new_key, make_body())
    redis_cache.delete(payment_key(payment["id"]))  # read it from PostgreSQL, not from the create's cache entry
    response = client.get(f"/payments/{payment['id']}")
    assert (response.status_code, response.json()) == (200, payment)
    assert redis_cache.exists(payment_key(payment["id"])) == 1


def test_listing_pages_through_one_merchants_payments_newest_first(client, make_body, new_key, service, as_merchant):
    # GIVEN seven payments of one merchant and one of another
    merchant = make_body()["merchant_reference"]
    created = [create(client, new_key, make_body(merchant_reference=merchant, amount_minor=100 + n)) for n in range(7)]
    other = make_body(merchant_reference=f"other-{merchant}")
    assert (
        service.client.post(
            "/payments", json=other, headers={"Idempotency-Key": new_key(), **as_merchant(other["merchant_reference"])}
        ).status_code
        == 201
    )
    # WHEN the merchant's payments are listed three at a time
    pages, cursor = [], None
    while True:
        params = {"merchant": merchant, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/payments", params=params).json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # THEN the pages hold 3, 3 and 1 payments: all seven, each once, newest first
    assert [len(items) for items in pages] == [3, 3, 1]
    listed = [payment for items in pages for payment in items]
    assert listed == list(reversed(created))


def test_a_merchant_without_payments_gets_an_empty_last_page(client, merchant):
    assert client.get("/payments", params={"merchant": merchant}).json() == {"items": [], "next_cursor": None}
