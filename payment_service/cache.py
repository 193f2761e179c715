"""Redis as a best-effort cache of strings; what the strings mean is payment_cache's business.

PostgreSQL stays the source of truth. Every failure of the cache, of whatever kind (unreachable,
timed out, refused credentials, an AUTH secret without a token, a bug in an entry), turns into a
miss, and after a failure Redis is skipped for a short cool-down so that an unreachable cache costs
one timeout, not one per request.

Connections authenticate with the configured password or, on ElastiCache, with an IAM token the
service signs itself (elasticache_auth.py); each new connection asks for the current token. The
client, with every connection it holds, is replaced once it is MAX_CLIENT_AGE_SECONDS old, long
before ElastiCache ends IAM-authenticated connections (12 h), so no connection outlives the token
era it logged in with; the old client closes once its commands can have finished.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from .config import ConfigError, RedisSettings
from .credentials import SecretReader, redis_token_from_secret
from .elasticache_auth import IamAuthToken, TokenUnavailable

log = logging.getLogger(__name__)
COOL_DOWN_SECONDS = 1.0
# ElastiCache ends IAM-authenticated connections after 12 h; one reconnect an hour costs nothing.
MAX_CLIENT_AGE_SECONDS = 3600.0
T = TypeVar("T")


def redis_client(
    settings: RedisSettings, auth_token: str | None, credential_provider: IamAuthToken | None = None
) -> redis.Redis:
    """rediss:// means TLS with certificate and host name checks (ElastiCache in-transit encryption)."""
    auth: dict[str, Any] = (
        {"credential_provider": credential_provider}
        if credential_provider is not None
        else {"username": settings.user, "password": auth_token}
    )
    return redis.Redis.from_url(
        settings.url,
        **auth,
        # Cache._call bounds each whole operation instead: redis-py's own per-call timeout wraps every
        # socket write in a new task (asyncio.wait_for), a cost paid on every command.
        socket_timeout=None,
        socket_connect_timeout=settings.timeout,
        # No retries: a miss is cheap, a retry loop against a dead cache is not.
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


class RedisUnavailable(RuntimeError):
    """Redis did not answer or cannot be used; only /health reports this, payments use PostgreSQL."""


def iam_auth_token(settings: RedisSettings, region: str | None) -> IamAuthToken | None:
    """The IAM token source when the settings ask for IAM authentication (config checked user and region)."""
    if not settings.iam_auth:
        return None
    assert settings.user and settings.replication_group_id and region
    return IamAuthToken(settings.user, settings.replication_group_id, region)


class Cache:
    def __init__(
        self,
        settings: RedisSettings,
        reader: SecretReader | None,
        iam_token: IamAuthToken | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._settings = settings
        self._reader = reader
        self._iam_token = iam_token
        self._clock = clock
        self._client: redis.Redis | None = None
        self._client_born = 0.0
        self._client_lock = asyncio.Lock()
        self._retiring: set[asyncio.Task] = set()
        self._skip_until = 0.0

    async def get(self, key: str) -> str | None:
        return await self._call("GET", lambda client: client.get(key))

    async def set_many(self, entries: dict[str, str]) -> None:
        """Stores each key's value with the cache TTL, in one round trip."""

        async def pipelined(client: redis.Redis) -> list[Any]:
            async with client.pipeline(transaction=False) as pipeline:
                for key, value in entries.items():
                    pipeline.set(key, value, ex=self._settings.cache_ttl_seconds)
                return await pipeline.execute()

        await self._call("SET", pipelined)

    async def delete(self, key: str) -> None:
        await self._call("DEL", lambda client: client.delete(key))

    async def ping(self) -> None:
        """Asks Redis directly, ignoring the cool-down: /health must tell the truth."""
        try:
            client = await self._get_client()
            async with asyncio.timeout(self._settings.timeout):
                # redis-py types its commands for the sync and async clients at once (Awaitable | bool)
                await cast(Awaitable[bool], client.ping())
        except Exception as error:  # any failure means the same to /health: Redis is not usable
            raise RedisUnavailable(type(error).__name__) from error

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)

    async def _call(self, command: str, operation: Callable[[redis.Redis], Awaitable[T]]) -> T | None:
        if self._clock() < self._skip_until:
            return None
        try:
            client = await self._get_client()
            async with asyncio.timeout(self._settings.timeout):
                return await operation(client)
        except Exception as error:  # the cache never fails a payment: every error is a miss
            self._skip_until = self._clock() + COOL_DOWN_SECONDS
            details = {"command": command, "error_type": type(error).__name__}
            if isinstance(error, (ConfigError, RedisUnavailable, TokenUnavailable)):
                details["reason"] = str(error)  # our own sentences, written to name no secret
            log.warning("redis unavailable; serving from PostgreSQL", extra=details)
            return None

    def _current(self) -> redis.Redis | None:
        if self._client is not None and self._clock() - self._client_born < MAX_CLIENT_AGE_SECONDS:
            return self._client
        return None

    async def _get_client(self) -> redis.Redis:
        client = self._current()
        if client is not None:
            return client
        async with self._client_lock:
            client = self._current()
            if client is None:
                if self._client is not None:
                    self._retire(self._client)
                    self._client = None
                if self._iam_token is not None:
                    # Signed here, outside the commands' timeout: the first signature may have to
                    # fetch the task role's credentials. Connections then find it ready.
                    await self._iam_token.get_credentials_async()
                client = redis_client(self._settings, await self._auth_token(), self._iam_token)
                self._client, self._client_born = client, self._clock()
            return client

    def _retire(self, client: redis.Redis) -> None:
        """Closes a replaced client once any command still using it has had its timeout to finish."""

        async def close_later() -> None:
            await asyncio.sleep(self._settings.timeout)
            await client.aclose()

        task = asyncio.create_task(close_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _auth_token(self) -> str | None:
        """The password for a new client: given, or read from its secret (again for every new client)."""
        if self._settings.auth_token or not self._settings.auth_secret_arn:
            return self._settings.auth_token
        if self._reader is None:
            raise RedisUnavailable("REDIS_AUTH_SECRET_ARN is set but no Secrets Manager reader was configured")
        try:
            text = await asyncio.to_thread(self._reader.read, self._settings.auth_secret_arn)
        except Exception as error:  # botocore raises many types; any of them means "no token now"
            raise RedisUnavailable(f"AUTH token secret unreadable: {type(error).__name__}") from error
        return redis_token_from_secret(text)
