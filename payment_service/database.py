"""PostgreSQL access: a lazily built asyncpg pool that survives restarts and password rotation.

The pool is built on first use, so the service starts (and reports 503) while the database is
down. A rejected password means the secret rotated: the credentials are read again and the pool
is rebuilt. Operations handed to `run` must be idempotent, because a lost connection or a rotated
password retries them once on a fresh connection.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from .config import DatabaseSettings, DbCredentials, effective_sslmode
from .credentials import CredentialsUnavailable, DatabaseCredentials

log = logging.getLogger(__name__)
T = TypeVar("T")

AUTHENTICATION_ERRORS = (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)
# SQLSTATE class 08 (connection exceptions), class 57P (shutdown/crash),
# and the socket-level failures beneath them.
CONNECTION_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    # A session ended by the server can be caught half-way: asyncpg has read the FATAL message
    # but not yet the socket's close, and refuses the next query with this error.
    asyncpg.InternalClientError,
    # No credentials to connect with is, for a request, the same as no database.
    CredentialsUnavailable,
)


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached or refused our credentials; the request gets a 503."""


def ssl_for(credentials: DbCredentials, settings: DatabaseSettings) -> ssl.SSLContext | bool:
    mode = effective_sslmode(credentials.host, settings)
    if mode == "disable":
        return False
    if mode == "verify-full":
        return ssl.create_default_context(cafile=settings.ssl_root_cert)
    # require: encrypted, server certificate not checked (libpq's sslmode=require).
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Database:
    def __init__(self, settings: DatabaseSettings, credentials: DatabaseCredentials):
        self._settings = settings
        self._credentials = credentials
        self._pool: asyncpg.Pool | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task] = set()

    async def run(self, operation: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Runs an idempotent operation on a pooled connection.

        Each kind of failure is retried once: a lost connection (the pool reconnects), then a
        rejected password (the secret is read again, the pool rebuilt). A session killed by a
        failover and a rotated password often arrive together, so both can happen in one call.
        """
        retried: set[str] = set()
        while True:
            generation = self._generation
            try:
                pool, generation = await self._current_pool()
                async with pool.acquire(timeout=self._settings.connect_timeout) as connection:
                    return await operation(connection)
            except AUTHENTICATION_ERRORS as error:
                log.warning(
                    "database rejected the credentials; reloading the secret",
                    extra={"error_type": type(error).__name__},
                )
                await self._discard_pool(generation)
                kind, failure = "authentication", error
            except CONNECTION_ERRORS as error:
                log.warning("database connection failed", extra={"error_type": type(error).__name__})
                kind, failure = "connection", error
            if kind in retried:
                raise DatabaseUnavailable(type(failure).__name__) from failure
            retried.add(kind)

    async def ping(self) -> None:
        await self.run(lambda connection: connection.fetchval("SELECT 1"))

    async def close(self) -> None:
        async with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)

    async def _current_pool(self) -> tuple[asyncpg.Pool, int]:
        pool, generation = self._pool, self._generation
        if pool is not None:
            return pool, generation
        async with self._lock:
            if self._pool is None:
                credentials = await self._credentials.get()
                self._pool = await asyncpg.create_pool(
                    user=credentials.user,
                    password=credentials.password,
                    host=credentials.host,
                    port=credentials.port,
                    database=credentials.database,
                    ssl=ssl_for(credentials, self._settings),
                    min_size=self._settings.pool_min,
                    max_size=self._settings.pool_max,
                    timeout=self._settings.connect_timeout,
                    command_timeout=self._settings.command_timeout,
                    server_settings={"application_name": "payment_service"},
                )
                self._generation += 1
                log.info(
                    "database pool ready",
                    extra={"pool_generation": self._generation, "credential_loads": self._credentials.loads},
                )
            return self._pool, self._generation

    async def _discard_pool(self, failed_generation: int) -> None:
        """Drops the pool that failed and the cached credentials, unless another request already did."""
        async with self._lock:
            if self._generation != failed_generation:
                return
            self._credentials.invalidate()
            pool, self._pool = self._pool, None
            if pool is not None:
                # Requests still holding its connections finish first; close it in the background.
                task = asyncio.create_task(self._retire(pool))
                self._retiring.add(task)
                task.add_done_callback(self._retiring.discard)

    async def _retire(self, pool: asyncpg.Pool) -> None:
        try:
            await asyncio.wait_for(pool.close(), timeout=self._settings.command_timeout)
        except (TimeoutError, *CONNECTION_ERRORS):
            pool.terminate()
