"""Every input is validated with a clear 4xx, and nothing is stored for a rejected request (APP-1)."""

import uuid

import pytest

from payment_service.models import MAX_AMOUNT_MINOR, MAX_PAGE_SIZE, REFERENCE_MAX_LENGTH

pytestmark = pytest.mark.req("APP-1")
CARD_NUMBER = "4111111111111111"


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "idempotency_key_required"),
        ({"Idempotency-Key": "short"}, "idempotency_key_invalid"),
        ({"Idempotency-Key": "k" * 129}, "idempotency_key_invalid"),
        ({"Idempotency-Key": "has spaces in it"}, "idempotency_key_invalid"),
        ({"Idempotency-Key": "semi;colon;key"}, "idempotency_key_invalid"),
    ],
    ids=["missing", "too-short", "too-long", "space", "forbidden-character"],
)
def test_a_missing_or_malformed_idempotency_key_is_400_before_anything_is_stored(client, make_body, sql, headers, code):
    body = make_body()
    response = client.post("/payments", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert "Idempotency-Key" in response.json()["message"]
    assert sql(f"SELECT count(*) FROM payments WHERE merchant_reference = '{body['merchant_reference']}'") == "0"


REFERENCE_CASES = [
    ("ab", "string_too_short"),
    ("r" * (REFERENCE_MAX_LENGTH + 1), "string_too_long"),
    ("bad ref", "string_pattern_mismatch"),
    ("-leading-dash", "string_pattern_mismatch"),
    (12345, "string_type"),
]
FIELD_CASES = [
    ("amount_minor", 0, "greater_than"),
    ("amount_minor", -5, "greater_than"),
    ("amount_minor", MAX_AMOUNT_MINOR + 1, "less_than_equal"),
    ("amount_minor", 10.5, "int_type"),
    ("amount_minor", "100", "int_type"),
    ("amount_minor", True, "int_type"),
    ("amount_minor", None, "int_type"),
    ("currency", "usd", "value_error"),
    ("currency", "ABC", "value_error"),
    ("currency", "XTS", "value_error"),
    ("currency", "HRK", "value_error"),
    ("currency", "US", "value_error"),
    ("currency", 978, "string_type"),
    *[
        (field, value, error)
        for field in ("merchant_reference", "customer_reference")
        for value, error in REFERENCE_CASES
    ],
]


@pytest.mark.parametrize(
    "field, value, error_type", FIELD_CASES, ids=[f"{field}={value!r}"[:40] for field, value, _ in FIELD_CASES]
)
def test_an_invalid_field_is_422_naming_the_field_and_nothing_is_stored(
    client, make_body, new_key, sql, field, value, error_type
):
    key = new_key()
    response = client.post("/payments", json=make_body(**{field: value}), headers={"Idempotency-Key": key})
    assert response.status_code == 422
    assert response.json()["error"] == "validation_failed"
    assert [(d["field"], d["type"]) for d in response.json()["details"]] == [(f"body.{field}", error_type)]
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "0"


@pytest.mark.parametrize("field", ["amount_minor", "currency", "merchant_reference", "customer_reference"])
def test_a_missing_field_is_422_naming_it(client, make_body, new_key, field):
    body = make_body()
    del body[field]
    response = client.post("/payments", json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 422
    assert [(d["field"], d["type"]) for d in response.json()["details"]] == [(f"body.{field}", "missing")]


@pytest.mark.parametrize(
    "field, value",
    [
        ("customer_reference", CARD_NUMBER),
        ("customer_reference", f"cust-{CARD_NUMBER}-x"),
        ("merchant_reference", f"m{CARD_NUMBER}"),
    ],
    ids=["alone", "inside", "merchant"],
)
def test_a_reference_holding_a_card_number_is_422_and_nothing_is_stored(client, make_body, new_key, sql, field, value):
    key = new_key()
    response = client.post("/payments", json=make_body(**{field: value}), headers={"Idempotency-Key": key})
    assert (response.status_code, response.json()["details"][0]["field"]) == (422, f"body.{field}")
    assert "card number" in response.json()["details"][0]["message"]
    assert CARD_NUMBER not in response.text
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "0"


def test_an_order_number_that_is_not_a_card_number_is_a_fine_reference(client, make_body, new_key):
    # 16 digits failing the Luhn check, and a short digit run: ordinary order numbers
    body = make_body(customer_reference="order-4111111111111112", merchant_reference=make_body()["merchant_reference"])
    assert client.post("/payments", json=body, headers={"Idempotency-Key": new_key()}).status_code == 201


def test_an_idempotency_key_holding_a_card_number_is_400(client, make_body, sql):
    key = f"order-{CARD_NUMBER}"
    response = client.post("/payments", json=make_body(), headers={"Idempotency-Key": key})
    assert (response.status_code, response.json()["error"]) == (400, "idempotency_key_invalid")
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "0"


def test_a_card_number_is_refused_and_never_echoed_back(client, make_body, new_key):
    response = client.post("/payments", json=make_body(card_number=CARD_NUMBER), headers={"Idempotency-Key": new_key()})
    assert response.status_code == 422
    assert response.json()["details"][0] == {
        "field": "body.card_number",
        "type": "extra_forbidden",
        "message": "Extra inputs are not permitted",
    }
    assert CARD_NUMBER not in response.text


@pytest.mark.parametrize(
    "content, status, code",
    [
        ('{"amount_minor": 1', 400, "malformed_json"),
        ("[1, 2]", 422, "validation_failed"),
        ("", 422, "validation_failed"),
    ],
    ids=["truncated-json", "array", "empty"],
)
def test_a_body_that_is_not_a_json_object_is_refused(client, new_key, content, status, code):
    response = client.post(
        "/payments", content=content, headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["error"]) == (status, code)


def test_reading_a_malformed_payment_id_is_422_and_an_unknown_one_404(client):
    malformed = client.get("/payments/not-a-uuid")
    unknown = client.get(f"/payments/{uuid.uuid4()}")
    assert malformed.status_code == 422
    assert malformed.json()["details"][0]["field"] == "path.payment_id"
    assert (unknown.status_code, unknown.json()["error"]) == (404, "payment_not_found")


@pytest.mark.parametrize(
    "query, field",
    [
        ({}, "query.merchant"),
        ({"merchant": "no spaces allowed"}, "query.merchant"),
        ({"merchant": "merchant-1", "limit": 0}, "query.limit"),
        ({"merchant": "merchant-1", "limit": MAX_PAGE_SIZE + 1}, "query.limit"),
        ({"merchant": "merchant-1", "limit": "ten"}, "query.limit"),
        ({"merchant": "merchant-1", "cursor": "c" * 513}, "query.cursor"),
    ],
    ids=["no-merchant", "bad-merchant", "limit-0", "limit-too-big", "limit-not-int", "cursor-too-long"],
)
def test_listing_with_invalid_parameters_is_422_naming_the_parameter(client, query, field):
    response = client.get("/payments", params=query)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["details"]] == [field]


@pytest.mark.parametrize(
    "cursor",
    ["not-base64!", "bm90IGpzb24", "WyJub3QtYS1kYXRlIiwgIngiXQ"],
    ids=["not-base64", "not-json", "wrong-content"],
)
def test_a_forged_cursor_is_400(client, merchant, cursor):
    response = client.get("/payments", params={"merchant": merchant, "cursor": cursor})
    assert (response.status_code, response.json()["error"]) == (400, "cursor_invalid")


def test_unknown_routes_and_methods_answer_in_the_same_error_shape(client):
    assert client.get("/nowhere").json()["error"] == "not_found"
    assert client.delete("/payments").json()["error"] == "method_not_allowed"
