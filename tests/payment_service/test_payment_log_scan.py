"""The whole run's logs hold none of the secrets, tokens and card numbers the tests used (APP-1, SEC-9).

conftest keeps every line the service logged during the session, and the output of every command
the tests ran; this test runs after all others (conftest orders it last) and scans them all.
"""

import pytest

from payment_service.localservers import free_port

pytestmark = [pytest.mark.req("APP-1"), pytest.mark.req("SEC-9")]
# Card numbers the payment tests send in bodies, headers, paths, query strings and references.
CARD_NUMBERS = ("4111111111111111", "4000056655665556", "4111-1111-1111-1111", "4000-0566-5566-5556")


def test_no_log_line_of_the_whole_run_holds_a_secret_or_card_number(
    session_record, identity, launch, client, make_body, new_key, base_env
):
    # GIVEN the run so far, plus requests that put a secret or a card number wherever a client can
    degraded = launch(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # logs Redis failures
    degraded.client.post("/payments", json=make_body(), headers={"Idempotency-Key": new_key()})
    client.get("/health", headers={"X-Request-ID": CARD_NUMBERS[0]})
    client.post("/payments", json=make_body(customer_reference=CARD_NUMBERS[1]), headers={"Idempotency-Key": new_key()})
    client.get(f"/payments/{CARD_NUMBERS[2]}", params={"pan": CARD_NUMBERS[3]})
    client.get("/payments", headers={"Authorization": "Bearer not.a.token"})
    # WHEN every line of the session is searched
    sensitive = session_record.sensitive | set(identity.issued) | set(CARD_NUMBERS) | {base_env["REDIS_AUTH_TOKEN"]}
    lines = session_record.lines
    # THEN none holds any of them
    assert len(lines) > 10 and len(sensitive) > 8
    leaks = sorted({value for value in sensitive for line in lines if value in line})
    assert not leaks, f"{len(leaks)} secret values found in the logs"
