"""ElastiCache IAM authentication: the service signs its own short-lived AUTH token with its task role.

ElastiCache (Redis OSS 7+ / Valkey with in-transit encryption) accepts, as the password of an
IAM-enabled user, a SigV4 presigned request for `GET http://<replication group id>/?Action=connect&User=<user id>`
signed for the service `elasticache` in the cache's region, without the scheme. A token is
accepted for 15 minutes (X-Amz-Expires=900) when a connection authenticates; the connection then
lives on until ElastiCache ends it after 12 hours (cache.py recycles its connections long before).

The token is signed with botocore's own SigV4 query signer from the usual credential chain (the
ECS task role, refreshed by botocore as it nears expiry). A signed token is reused for new
connections until it is RENEW_AFTER_SECONDS old, so every connection authenticates with a token
that has at least five minutes left; signing runs in a thread, because refreshing the task role's
credentials is an HTTP call. botocore is imported only when a token is first signed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from redis.credentials import CredentialProvider
from redis.exceptions import AuthenticationError

SERVICE = "elasticache"
TOKEN_VALIDITY_SECONDS = 900  # what ElastiCache accepts at most
RENEW_AFTER_SECONDS = 600  # new connections get a token with at least 5 minutes left


class TokenUnavailable(AuthenticationError):
    """No AWS credentials to sign with (or signing failed): Redis cannot be authenticated now. A
    redis-py error, so the half-open connection that asked for the token is dropped, not pooled."""


def default_credentials() -> Any:
    """The botocore credential chain (environment, then the ECS task role's endpoint, and so on)."""
    import botocore.session

    return botocore.session.get_session().get_credentials()


def sign_connect_token(credentials: Any, replication_group_id: str, user: str, region: str) -> str:
    """The IAM AUTH token: a presigned `connect` request for the user, without its scheme."""
    # Deferred, like every botocore import here: only a service using IAM authentication loads it.
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(
        method="GET", url=f"http://{replication_group_id}/", params={"Action": "connect", "User": user}
    )
    SigV4QueryAuth(credentials, SERVICE, region, expires=TOKEN_VALIDITY_SECONDS).add_auth(request)
    signed = request.url
    assert signed is not None  # add_auth wrote the signed query into it
    return signed.removeprefix("http://")


class IamAuthToken(CredentialProvider):
    """redis-py asks this for (user, token) each time a connection authenticates."""

    def __init__(
        self,
        user: str,
        replication_group_id: str,
        region: str,
        credentials: Callable[[], Any] = default_credentials,
        clock: Callable[[], float] = time.time,
    ):
        self.user, self.replication_group_id, self.region = user, replication_group_id, region
        self._credentials_source = credentials
        self._credentials: Any = None
        self._clock = clock
        self._token: str | None = None
        self._signed_at = float("-inf")
        self._lock = asyncio.Lock()
        self.signed = 0  # how many tokens were signed: renewal is visible in tests

    def _fresh(self) -> bool:
        return self._token is not None and self._clock() - self._signed_at < RENEW_AFTER_SECONDS

    def token(self) -> str:
        """The current token, signed anew when it is RENEW_AFTER_SECONDS old (blocking)."""
        if not self._fresh():
            signed_at = self._clock()
            try:
                if self._credentials is None:
                    self._credentials = self._credentials_source()
                if self._credentials is None:
                    raise TokenUnavailable("no AWS credentials found to sign the Redis IAM token")
                # Frozen: key, secret and session token from one refresh, never a mix of two.
                frozen = self._credentials.get_frozen_credentials()
                token = sign_connect_token(frozen, self.replication_group_id, self.user, self.region)
            except TokenUnavailable:
                raise
            except Exception as error:  # botocore's credential errors are many types; each means "no token"
                raise TokenUnavailable(f"the Redis IAM token cannot be signed: {type(error).__name__}") from error
            self._token, self._signed_at = token, signed_at
            self.signed += 1
        assert self._token is not None
        return self._token

    def get_credentials(self) -> tuple[str, str]:
        return self.user, self.token()

    async def get_credentials_async(self) -> tuple[str, str]:
        if self._fresh():
            assert self._token is not None
            return self.user, self._token
        async with self._lock:  # one signature for every connection opened meanwhile
            token = self._token if self._fresh() and self._token else await asyncio.to_thread(self.token)
        return self.user, token
