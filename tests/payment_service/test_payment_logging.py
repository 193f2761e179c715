"""JSON-lines logs carry the request ID and nothing secret: no credentials, amounts or card data (APP-1)."""

import json
import logging
import re
import sys
import time

import pytest

from payment_service.logs import JsonLinesFormatter

pytestmark = pytest.mark.req("APP-1")
CARD_NUMBER = "4000056655665556"
DISTINCT_AMOUNT = 7345129


def access_lines(captured_logs, request_id, timeout=5.0):
    """The access lines of one request. The middleware logs after the last body chunk is sent, and
    the server runs in another thread, so the client can hold the response a moment earlier."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [
            line
            for line in captured_logs()
            if line["logger"] == "payment_service.access" and line["request_id"] == request_id
        ]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_a_callers_request_id_is_echoed_and_on_the_access_line(client, make_body, new_key, captured_logs):
    response = client.post(
        "/payments", json=make_body(), headers={"Idempotency-Key": new_key(), "X-Request-ID": "req-checkout-0001"}
    )
    assert response.headers["X-Request-ID"] == "req-checkout-0001"
    [line] = access_lines(captured_logs, "req-checkout-0001")
    assert (line["method"], line["route"], line["status"], line["level"]) == ("POST", "/payments", 201, "INFO")
    assert line["duration_ms"] > 0


@pytest.mark.parametrize(
    "sent", [None, "has spaces", "x" * 200, 'inject"quote'], ids=["absent", "space", "long", "quote"]
)
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_generated_one(client, captured_logs, sent):
    response = client.get("/health", headers={"X-Request-ID": sent} if sent else {})
    generated = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert len(access_lines(captured_logs, generated)) == 1


@pytest.mark.parametrize("sent", [CARD_NUMBER, "req-4000-0566-5566-5556"], ids=["plain", "grouped"])
def test_a_request_id_holding_a_card_number_is_replaced_and_never_logged(client, captured_logs, sent):
    response = client.get("/health", headers={"X-Request-ID": sent})
    generated = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert len(access_lines(captured_logs, generated)) == 1
    assert "0566" not in json.dumps(captured_logs())


def test_the_formatter_masks_credentials_tokens_and_card_numbers_in_any_line():
    # GIVEN a line as a careless third-party library might write it, with a traceback
    secrets = [
        "pw-in-url",
        "pw-in-pair",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        CARD_NUMBER,
        "4111 1111 1111 1111",
    ]
    message = (
        f"connect postgresql://app:{secrets[0]}@db:5432/x failed; retry with password={secrets[1]} "
        f"Authorization: Bearer {secrets[2]} card {secrets[3]} or {secrets[4]}; order 12345678"
    )
    try:
        raise RuntimeError(message)
    except RuntimeError:
        record = logging.LogRecord("third.party", logging.ERROR, __file__, 1, message, None, sys.exc_info())
    record.detail = message
    # WHEN it is formatted
    line = JsonLinesFormatter().format(record)
    # THEN no secret survives, in the message, the extras or the traceback; harmless digits do
    assert not [secret for secret in secrets if secret in line]
    assert json.loads(line)["message"].count("***") >= 2 and "order 12345678" in line


def test_logs_hold_no_credentials_amounts_or_card_numbers(
    client, make_body, new_key, captured_logs, app_password, redis_server
):
    key = new_key()
    client.post("/payments", json=make_body(amount_minor=DISTINCT_AMOUNT), headers={"Idempotency-Key": key})
    client.post("/payments", json=make_body(card_number=CARD_NUMBER), headers={"Idempotency-Key": new_key()})
    client.post(
        "/payments",
        content=f'{{"pan": "{CARD_NUMBER}"',
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    client.get(f"/payments/{CARD_NUMBER}")  # a card number in the URL: the raw path is never logged
    last = client.get(f"/nowhere/{CARD_NUMBER}", params={"pan": CARD_NUMBER})
    assert access_lines(captured_logs, last.headers["X-Request-ID"]), "the last request's access line is written"
    lines = captured_logs()
    assert len(lines) >= 5 and all(line["request_id"] for line in lines)
    assert {line.get("route") for line in lines if line["message"] == "request"} == {
        "/payments",
        "/payments/{payment_id}",
        None,
    }
    text = json.dumps(lines)
    for secret in (app_password, redis_server.password, CARD_NUMBER, str(DISTINCT_AMOUNT), key):
        assert secret not in text


def test_an_unexpected_error_is_a_json_500_with_the_request_id_and_a_logged_traceback(launch, captured_logs):
    service = launch()
    service.app.state.payments = None  # stands for any unforeseen bug: the route's collaborator is broken
    response = service.client.get("/payments/00000000-0000-0000-0000-000000000000", headers={"X-Request-ID": "req-bug"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "unexpected error", "request_id": "req-bug"}
    assert response.headers["X-Request-ID"] == "req-bug"
    errors = [line for line in captured_logs() if line["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "req-bug" and "Traceback" in errors[0]["exception"]
