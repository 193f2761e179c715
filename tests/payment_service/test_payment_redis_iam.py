"""ElastiCache IAM authentication (DATA-5, APP-1): the service signs a SigV4 presigned `connect` request
as its AUTH token, renews it before it expires, and replaces its connections long before ElastiCache's
12-hour limit. The renewal runs against the local Redis in password mode: an ACL user whose password is
the token the service is expected to sign at that moment, rotated as the clock moves. No network."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import botocore.auth
import pytest
import pytest_asyncio
from botocore.credentials import Credentials

from payment_service import cache as cache_module
from payment_service.cache import Cache, iam_auth_token
from payment_service.config import ConfigError, Settings
from payment_service.elasticache_auth import (
    RENEW_AFTER_SECONDS,
    TOKEN_VALIDITY_SECONDS,
    IamAuthToken,
    TokenUnavailable,
    sign_connect_token,
)

pytestmark = [pytest.mark.req("DATA-5"), pytest.mark.req("APP-1")]
GROUP, REGION = "meridian-prod-cache", "eu-west-1"
# AWS's documentation example key pair; a session token as the task role's credentials carry one.
ACCESS_KEY, SECRET_KEY, SESSION_TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "task-role-session"
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp()


class Clock:
    """One fake clock for the token's age, the cache's client age and botocore's signing time."""

    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def signing_time(self, remove_tzinfo: bool = True) -> datetime:
        moment = datetime.fromtimestamp(self.now, UTC)
        return moment.replace(tzinfo=None) if remove_tzinfo else moment


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(botocore.auth, "get_current_datetime", fake.signing_time)
    return fake


def credentials() -> Credentials:
    return Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)


def sigv4_query_signature(host: str, params: dict[str, str], secret_key: str, region: str, service: str) -> str:
    """SigV4 for a presigned GET, written from AWS's specification independently of botocore."""

    def encode(text: str) -> str:
        return quote(text, safe="-_.~")

    query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()) if k != "X-Amz-Signature")
    canonical = "\n".join(["GET", "/", query, f"host:{host}\n", "host", hashlib.sha256(b"").hexdigest()])
    stamp = params["X-Amz-Date"]
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret_key}".encode()
    for part in (stamp[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_the_token_is_a_sigv4_presigned_connect_request_for_the_user_valid_15_minutes(clock):
    # GIVEN fixed credentials and a fixed clock
    # WHEN the token is signed for the replication group and user
    token = sign_connect_token(credentials().get_frozen_credentials(), GROUP, "payment-service", REGION)
    # THEN it is the presigned request without its scheme: host = replication group, path /,
    # Action=connect for the user, 900 s, scoped to elasticache in the region, host signed only
    host, _, query = token.partition("/?")
    params = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=True))
    assert host == GROUP and not token.startswith(("http:", "https:"))
    assert set(params) == {"Action", "User"} | {
        f"X-Amz-{name}" for name in ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Security-Token")
    } | {"X-Amz-Signature"}, "a replication group's token (a serverless cache's would add ResourceType)"
    assert (params["Action"], params["User"]) == ("connect", "payment-service")
    assert params["X-Amz-Expires"] == str(TOKEN_VALIDITY_SECONDS) == "900"
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Date"] == "20260301T120000Z"
    assert params["X-Amz-Credential"] == f"{ACCESS_KEY}/20260301/{REGION}/elasticache/aws4_request"
    assert params["X-Amz-SignedHeaders"] == "host"
    assert params["X-Amz-Security-Token"] == SESSION_TOKEN
    # AND the signature is the one the specification gives for exactly these parameters
    assert params["X-Amz-Signature"] == sigv4_query_signature(GROUP, params, SECRET_KEY, REGION, "elasticache")
    # AND the same inputs give the same token, another second another one
    assert sign_connect_token(credentials().get_frozen_credentials(), GROUP, "payment-service", REGION) == token
    clock.now += 1
    assert sign_connect_token(credentials().get_frozen_credentials(), GROUP, "payment-service", REGION) != token


@pytest.mark.asyncio
async def test_a_token_is_reused_for_ten_minutes_then_signed_anew(clock):
    source = IamAuthToken("payment-service", GROUP, REGION, credentials=credentials, clock=clock)
    first = await source.get_credentials_async()
    clock.now += RENEW_AFTER_SECONDS - 1
    assert await source.get_credentials_async() == first and source.signed == 1
    clock.now += 1
    renewed = await source.get_credentials_async()
    assert renewed[0] == "payment-service" and renewed[1] != first[1] and source.signed == 2
    # renewal leaves every token at least five minutes of validity when a connection uses it
    assert TOKEN_VALIDITY_SECONDS - RENEW_AFTER_SECONDS >= 300


@pytest.mark.asyncio
async def test_without_aws_credentials_the_token_is_unavailable_with_a_reason(clock):
    source = IamAuthToken("payment-service", GROUP, REGION, credentials=lambda: None, clock=clock)
    with pytest.raises(TokenUnavailable, match="no AWS credentials"):
        await source.get_credentials_async()


@pytest.fixture
def iam_user(redis_cache):
    """An ACL user of the local Redis, as ElastiCache's IAM-enabled user: `rotate(token)` makes the
    token its only password (what ElastiCache accepts changes as time moves); existing connections stay."""
    user = f"payment-service-{uuid.uuid4().hex[:8]}"

    class User:
        name = user

        def rotate(self, token: str) -> None:
            redis_cache.execute_command("ACL", "SETUSER", user, "on", "resetpass", f">{token}", "~*", "&*", "+@all")

        def connection_ids(self) -> set[int]:
            return {int(c["id"]) for c in redis_cache.client_list() if c["user"] == user}

    yield User()
    redis_cache.execute_command("ACL", "DELUSER", user)


def expected_token(user: str) -> str:
    """What the service must sign right now (the clock fixture fixes now)."""
    return sign_connect_token(credentials().get_frozen_credentials(), GROUP, user, REGION)


def iam_env(redis_server, user: str) -> dict[str, str]:
    """A local run's settings with IAM authentication to the local Redis."""
    return {
        "DATABASE_URL": "postgresql://app:pw@127.0.0.1:5432/payments",
        "REDIS_URL": redis_server.url,
        "REDIS_USER": user,
        "REDIS_REPLICATION_GROUP_ID": GROUP,
        "AWS_REGION": REGION,
    }


@pytest_asyncio.fixture(loop_scope="function")  # the loop of the test that uses it
async def iam_cache(redis_server, iam_user, clock):
    settings = Settings.from_env(iam_env(redis_server, iam_user.name))
    token = IamAuthToken(iam_user.name, GROUP, REGION, credentials=credentials, clock=clock)
    cache = Cache(settings.redis, None, token, clock=clock)
    yield cache, token
    await cache.close()


@pytest.mark.asyncio
async def test_new_connections_authenticate_with_a_renewed_token(iam_cache, iam_user, clock, redis_cache):
    cache, token = iam_cache
    # GIVEN Redis accepting the token the service signs now, and one connection logged in with it
    iam_user.rotate(expected_token(iam_user.name))
    await cache.set_many({"iam:first": "1"})
    assert redis_cache.get("iam:first") == "1" and token.signed == 1
    # WHEN eleven minutes pass and Redis accepts only the token of that moment (the old
    # connection stays logged in, as on ElastiCache), and two commands need two connections
    clock.now += RENEW_AFTER_SECONDS + 60
    iam_user.rotate(expected_token(iam_user.name))
    await asyncio.gather(cache.set_many({"iam:old-connection": "2"}), cache.set_many({"iam:new-connection": "3"}))
    # THEN the new connection logged in with a newly signed token, and both commands were served
    assert redis_cache.mget("iam:old-connection", "iam:new-connection") == ["2", "3"]
    assert token.signed == 2 and len(iam_user.connection_ids()) == 2


@pytest.mark.asyncio
async def test_connections_are_replaced_before_elasticache_ends_them(iam_cache, iam_user, clock, redis_cache):
    cache, token = iam_cache
    iam_user.rotate(expected_token(iam_user.name))
    await cache.set_many({"iam:old": "1"})
    (old_connection,) = iam_user.connection_ids()
    # GIVEN a connection about as old as the cache lets one become, still accepted by Redis
    clock.now += cache_module.MAX_CLIENT_AGE_SECONDS
    assert cache_module.MAX_CLIENT_AGE_SECONDS < 12 * 3600, "ElastiCache ends IAM connections after 12 h"
    iam_user.rotate(expected_token(iam_user.name))
    # WHEN the cache is used again
    await cache.set_many({"iam:new": "2"})
    # THEN a new connection, logged in with the token of now, served it, and the old one is closed
    assert redis_cache.get("iam:new") == "2" and token.signed == 2
    await cache.close()
    assert old_connection not in iam_user.connection_ids()


class RoleCredentials:
    """The task role's credentials as botocore refreshes them; `available` False: the refresh fails."""

    available = True

    def get_frozen_credentials(self):
        if not self.available:
            raise RuntimeError("the container credentials endpoint did not answer")
        return credentials().get_frozen_credentials()


@pytest.mark.asyncio
async def test_a_token_that_cannot_be_signed_costs_misses_until_credentials_return(
    redis_server, iam_user, clock, redis_cache, captured_logs
):
    # GIVEN a cache with one connection logged in
    role = RoleCredentials()
    source = IamAuthToken(iam_user.name, GROUP, REGION, credentials=lambda: role, clock=clock)
    cache = Cache(Settings.from_env(iam_env(redis_server, iam_user.name)).redis, None, source, clock=clock)
    iam_user.rotate(expected_token(iam_user.name))
    try:
        await cache.set_many({"iam:first": "1"})
        # WHEN the token is due for renewal while the role's credentials cannot be refreshed, and a
        # second connection is needed
        clock.now += RENEW_AFTER_SECONDS + 60
        role.available = False
        await asyncio.gather(cache.set_many({"iam:a": "1"}), cache.set_many({"iam:b": "2"}))
        # AND then the credentials are back
        clock.now += cache_module.COOL_DOWN_SECONDS
        role.available = True
        iam_user.rotate(expected_token(iam_user.name))
        await asyncio.gather(cache.set_many({"iam:c": "3"}), cache.set_many({"iam:d": "4"}))
    finally:
        await cache.close()
    # THEN the failed signature cost a miss that says why, and left no connection half logged in:
    # both connections serve once a token can be signed
    assert any("cannot be signed: RuntimeError" in line.get("reason", "") for line in captured_logs())
    assert redis_cache.mget("iam:c", "iam:d") == ["3", "4"]


@pytest.mark.asyncio
async def test_a_token_redis_refuses_is_a_miss_not_an_error(iam_cache, iam_user, captured_logs):
    cache, _ = iam_cache
    iam_user.rotate("a-token-signed-for-something-else")
    assert await cache.get("iam:anything") is None
    assert any(line["message"] == "redis unavailable; serving from PostgreSQL" for line in captured_logs())


def test_iam_settings_build_the_token_source_and_refuse_half_a_configuration():
    base = {"DATABASE_URL": "postgresql://app:pw@127.0.0.1:5432/payments", "REDIS_REPLICATION_GROUP_ID": GROUP}
    settings = Settings.from_env({**base, "REDIS_USER": "payment-service", "AWS_REGION": REGION})
    source = iam_auth_token(settings.redis, settings.aws_region)
    assert source is not None
    assert (source.user, source.replication_group_id, source.region) == ("payment-service", GROUP, REGION)
    assert iam_auth_token(Settings.from_env({"DATABASE_URL": base["DATABASE_URL"]}).redis, REGION) is None
    with pytest.raises(ConfigError, match="also needs REDIS_USER and AWS_REGION"):
        Settings.from_env(base)
    with pytest.raises(ConfigError, match="one way to authenticate"):
        Settings.from_env({**base, "REDIS_USER": "u", "AWS_REGION": REGION, "REDIS_AUTH_TOKEN": "t"})
