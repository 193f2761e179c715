"""Caller identity: a bearer token from the merchants' or the customers' user pool, verified against
that pool's published keys. Merchants create, read and list only their own payments, with
idempotency keys of their own; customers read only the payments made for them (APP-1)."""

import time
import uuid

import httpx
import jwt
import pytest

from payment_service import identity as identity_module
from payment_service.app import create_app
from payment_service.config import ConfigError, Settings
from payment_service.localservers import LocalIdentityProvider, SigningKey, free_port

pytestmark = pytest.mark.req("APP-1")


def post(client, key, body, **headers):
    return client.post("/payments", json=body, headers={"Idempotency-Key": key, **headers})


@pytest.fixture
def anonymous(service):
    with httpx.Client(base_url=service.url, timeout=30) as client:
        yield client


@pytest.fixture
def created(client, make_body, new_key):
    response = post(client, new_key(), make_body(customer_reference=f"customer-{uuid.uuid4().hex[:12]}"))
    assert response.status_code == 201
    return response.json()


def test_without_a_token_no_payment_endpoint_answers(anonymous, created, make_body, new_key, sql):
    # GIVEN a payment, and a caller without a token
    key = new_key()
    # WHEN it tries to create, read and list
    answers = [
        post(anonymous, key, make_body()),
        anonymous.get(f"/payments/{created['id']}"),
        anonymous.get("/payments", params={"merchant": created["merchant_reference"]}),
        anonymous.get(
            "/payments",
            params={"merchant": created["merchant_reference"]},
            headers={"Authorization": "Basic dXNlcjpwdw=="},
        ),
    ]
    # THEN each is a 401 that says how to authenticate, reveals nothing and stores nothing
    for answer in answers:
        assert (answer.status_code, answer.json()["error"]) == (401, "authentication_required")
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert created["id"] not in answer.text
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "0"
    assert anonymous.get("/health").status_code == 200  # the load balancer's check needs no token


def forged_tokens(identity, merchant):
    """Tokens that must all be refused, each with what is wrong with it."""
    now = int(time.time())
    published = identity._signing["merchants"]
    unpublished = SigningKey(published.key_id, SigningKey.generate().private_key)  # right key ID, wrong key
    valid = identity.merchant_token(merchant)
    header, payload, signature = valid.split(".")
    tampered_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(merchant.encode(), b"merchant-victim")
    ).decode()
    return {
        "expired": identity.merchant_token(merchant, iat=now - 7200, exp=now - 3600),
        "other-audience": identity.merchant_token(merchant, aud="someone-elses-app-client"),
        "no-audience (an access token)": identity.merchant_token(merchant, aud=None, token_use="access"),
        "unknown-issuer": identity.merchant_token(merchant, iss="https://issuer.example.invalid/pool"),
        "customer-pool-issuer-on-merchant-key": identity.merchant_token(merchant, iss=identity.issuer("customers")),
        "signed-by-an-unpublished-key": identity.token("merchants", merchant, signing_key=unpublished),
        "unknown-key-id": identity.token("merchants", merchant, signing_key=SigningKey.generate()),
        "tampered-payload": f"{header}.{tampered_payload}.{signature}",
        "alg-none": jwt.encode(
            {
                "iss": identity.issuer("merchants"),
                "aud": identity.audience("merchants"),
                "custom:merchant_id": merchant,
                "iat": now,
                "exp": now + 600,
            },
            None,
            algorithm="none",
            headers={"kid": published.key_id},
        ),
        "hs256-with-the-public-key": jwt.api_jws.PyJWS().encode(
            jwt.utils.base64url_decode(payload),
            published.jwk()["n"].encode(),
            algorithm="HS256",
            headers={"kid": published.key_id},
        ),
        "no-merchant-claim": identity.token("merchants", merchant, **{"custom:merchant_id": None}),
        "card-number-as-merchant": identity.merchant_token("4111111111111111"),
        "not-a-jwt": "not.a.jwt",
    }


def test_forged_expired_or_foreign_tokens_are_401(client, identity, merchant, created, anonymous):
    for reason, token in forged_tokens(identity, merchant).items():
        answer = anonymous.get(f"/payments/{created['id']}", headers={"Authorization": f"Bearer {token}"})
        assert (answer.status_code, answer.json()["error"]) == (401, "token_invalid"), reason
        assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"', reason
    assert client.get(f"/payments/{created['id']}").status_code == 200  # the merchant's own token still works


def test_a_merchant_cannot_read_or_list_another_merchants_payments(created, service, as_merchant):
    # GIVEN another merchant's valid token
    intruder = as_merchant(f"intruder-{uuid.uuid4().hex[:8]}")
    # WHEN it reads the payment by ID and lists its owner's payments
    read = service.client.get(f"/payments/{created['id']}", headers=intruder)
    listed = service.client.get("/payments", params={"merchant": created["merchant_reference"]}, headers=intruder)
    unknown_id = uuid.uuid4()
    unknown = service.client.get(f"/payments/{unknown_id}", headers=intruder)
    # THEN the payment is as unknown to it as one that does not exist, and the list is refused
    assert (read.status_code, read.json()["error"]) == (404, "payment_not_found")
    assert read.text == unknown.text.replace(str(unknown_id), created["id"])
    assert (listed.status_code, listed.json()["error"]) == (403, "merchant_mismatch")
    assert created["customer_reference"] not in read.text + listed.text


def test_a_merchant_cannot_create_a_payment_in_another_merchants_name(client, make_body, new_key, sql):
    key = new_key()
    answer = post(client, key, make_body(merchant_reference="merchant-victim"))
    assert (answer.status_code, answer.json()["error"]) == (403, "merchant_mismatch")
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "0"


def test_the_same_key_from_two_merchants_makes_two_payments(service, make_body, new_key, as_merchant, sql):
    # GIVEN two merchants that both use their order number as the key
    key = f"order-{uuid.uuid4().hex[:8]}"
    first, second = (make_body(merchant_reference=f"shop-{n}-{uuid.uuid4().hex[:8]}") for n in (1, 2))
    # WHEN each posts its payment with that key, and each replays it
    answers = [
        post(service.client, key, body, **as_merchant(body["merchant_reference"]))
        for body in (first, second, first, second)
    ]
    # THEN each merchant got its own payment, and its replay got that payment back
    assert [answer.status_code for answer in answers] == [201, 201, 200, 200]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert [answers[2].json(), answers[3].json()] == [answers[0].json(), answers[1].json()]
    assert sql(f"SELECT count(*) FROM payments WHERE idempotency_key = '{key}'") == "2"


def test_a_customer_reads_the_payments_made_for_them_and_nothing_else(created, service, as_customer):
    own = service.client.get(f"/payments/{created['id']}", headers=as_customer(created["customer_reference"]))
    other = service.client.get(f"/payments/{created['id']}", headers=as_customer("customer-someone-else"))
    assert (own.status_code, own.json()) == (200, created)
    assert (other.status_code, other.json()["error"]) == (404, "payment_not_found")


def test_a_customer_token_can_neither_create_nor_list(created, service, as_customer, make_body, new_key):
    customer = as_customer(created["customer_reference"])
    answers = [
        post(service.client, new_key(), make_body(), **customer),
        service.client.get("/payments", params={"merchant": created["merchant_reference"]}, headers=customer),
    ]
    assert [(answer.status_code, answer.json()["error"]) for answer in answers] == [(403, "forbidden")] * 2


def test_forged_key_ids_cost_at_most_one_fetch_of_the_signing_keys(launch, identity, merchant, bearer):
    # GIVEN a fresh service that has loaded the merchants' keys once
    service = launch()
    assert service.client.get("/payments", params={"merchant": merchant}).status_code == 200
    fetched = identity.jwks_requests["merchants"]
    # WHEN a burst of tokens arrives signed with key IDs nobody published
    answers = [
        service.client.get(
            "/payments",
            params={"merchant": merchant},
            headers=bearer(identity.token("merchants", merchant, signing_key=SigningKey.generate())),
        )
        for _ in range(5)
    ]
    # THEN all are refused, and the keys were fetched again at most once
    assert {answer.status_code for answer in answers} == {401}
    assert identity.jwks_requests["merchants"] - fetched <= 1


def test_a_rotated_signing_key_is_picked_up(launch, monkeypatch, session_record):
    # A provider of its own: rotating the shared one would strand the other tests' services.
    provider = LocalIdentityProvider()
    try:
        monkeypatch.setattr(identity_module, "REFRESH_INTERVAL_SECONDS", 0.2)
        service = launch(**provider.env())
        before = {"Authorization": f"Bearer {provider.merchant_token('merchant-rotating')}"}
        assert (
            service.client.get("/payments", params={"merchant": "merchant-rotating"}, headers=before).status_code == 200
        )
        provider.rotate("merchants")
        time.sleep(0.3)
        after = {"Authorization": f"Bearer {provider.merchant_token('merchant-rotating')}"}
        assert (
            service.client.get("/payments", params={"merchant": "merchant-rotating"}, headers=after).status_code == 200
        )
    finally:
        session_record.sensitive.update(provider.issued)
        provider.stop()


def test_without_reachable_signing_keys_requests_get_503_and_retry_after(launch, make_body, new_key):
    service = launch(AUTH_MERCHANT_JWKS_URL=f"http://127.0.0.1:{free_port()}/jwks.json")
    answer = post(service.client, new_key(), make_body())
    assert (answer.status_code, answer.json()["error"]) == (503, "identity_unavailable")
    assert answer.headers["Retry-After"] == "2"


@pytest.mark.parametrize(
    "overrides, named",
    [
        (lambda env: {"AUTH_CUSTOMER_ISSUER": ""}, "AUTH_CUSTOMER_ISSUER"),
        (lambda env: {"AUTH_MERCHANT_AUDIENCE": " , "}, "AUTH_MERCHANT_AUDIENCE"),
        (lambda env: {"AUTH_MERCHANT_ISSUER": "http://cognito.example.com/pool"}, "AUTH_MERCHANT_ISSUER"),
        (
            lambda env: {"AUTH_CUSTOMER_JWKS_URL": "https://user:pw@keys.example.com/jwks.json"},
            "AUTH_CUSTOMER_JWKS_URL",
        ),
        (lambda env: {"AUTH_CUSTOMER_ISSUER": env["AUTH_MERCHANT_ISSUER"]}, "two different user pools"),
    ],
    ids=["half-configured", "empty-audience", "plain-http-issuer", "credentials-in-jwks-url", "same-pool-twice"],
)
def test_bad_identity_configuration_is_one_error_naming_the_variable(base_env, overrides, named):
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**base_env, **overrides(base_env)})


def test_the_api_does_not_start_without_caller_identity(base_env):
    anonymous_env = {name: value for name, value in base_env.items() if not name.startswith("AUTH_")}
    assert Settings.from_env(anonymous_env).auth is None  # `migrate` needs no identity provider
    with pytest.raises(ConfigError, match="no anonymous callers"):
        create_app(Settings.from_env(anonymous_env))


@pytest.mark.asyncio
async def test_a_verified_token_is_checked_once_until_it_expires_or_five_minutes_pass(
    identity, base_env, monkeypatch, merchant
):
    # GIVEN an authenticator with its own clock, counting full verifications
    verifications = []
    verify = identity_module._verified_claims
    monkeypatch.setattr(identity_module, "_verified_claims", lambda *args: verifications.append(1) or verify(*args))
    now = [time.time()]
    authenticator = identity_module.Authenticator(Settings.from_env(base_env).auth, clock=lambda: now[0])
    token = identity.merchant_token(merchant, exp=int(now[0]) + 3600)
    # WHEN the same token comes again and again
    callers = [await authenticator.caller(f"Bearer {token}") for _ in range(3)]
    # THEN it was verified once and names the same caller each time
    assert callers == [identity_module.Caller("merchant", merchant)] * 3 and len(verifications) == 1
    # AND after five minutes it is verified again; a different token of the same merchant is verified on its own
    now[0] += identity_module.VERIFIED_TTL_SECONDS
    await authenticator.caller(f"Bearer {token}")
    await authenticator.caller(f"Bearer {identity.merchant_token(merchant)}")
    assert len(verifications) == 3
    # AND a token is never remembered past its own expiry
    short = identity.merchant_token(merchant, exp=int(now[0]) + 60)
    await authenticator.caller(f"Bearer {short}")
    now[0] += 60
    await authenticator.caller(f"Bearer {short}")  # the library's leeway still accepts it: checked again
    assert len(verifications) == 5


@pytest.mark.asyncio
async def test_a_token_that_fails_a_check_is_never_remembered(identity, base_env, merchant):
    authenticator = identity_module.Authenticator(Settings.from_env(base_env).auth)
    good = identity.merchant_token(merchant)
    forged = good[: good.rindex(".") + 1] + "A" * len(good[good.rindex(".") + 1 :])
    expired = identity.merchant_token(merchant, exp=int(time.time()) - 120)
    for token in (forged, expired, forged, expired):
        with pytest.raises(identity_module.AuthenticationFailed):
            await authenticator.caller(f"Bearer {token}")
    assert await authenticator.caller(f"Bearer {good}") == identity_module.Caller("merchant", merchant)
