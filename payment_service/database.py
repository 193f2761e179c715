"""PostgreSQL access: a lazily built asyncpg pool that survives restarts and password rotation.

The pool is built on first use, so the service starts (and reports 503) while the database is
down. A rejected password means the secret rotated: the credentials are read again and the pool
is rebuilt. Operations handed to `run` must be idempotent, because a lost connection or a rotated
password retries them once on a fresh connection.

What a request hears, by cause (both are 503 with Retry-After; the client retries with the same key):
- DatabaseUnavailable: unreachable, credentials refused or unreadable, a writer turned read-only
  by a failover, or a configuration the connection cannot be made with.
- DatabaseBusy: every pooled connection is in use, or the server gave up on the statement
  (serialization failure, deadlock, statement or lock timeout); nothing was committed.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg

from .config import ConfigError, DatabaseSettings, DbCredentials, effective_sslmode
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
# The server ended the statement and rolled the transaction back; the same request may succeed
# a moment later: SQLSTATE class 40 (serialization failure, deadlock), 57014 (statement timeout
# or cancel), 55P03 (lock timeout).
BUSY_ERRORS = (asyncpg.TransactionRollbackError, asyncpg.QueryCanceledError, asyncpg.LockNotAvailableError)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset: nothing to undo (see _current_pool)."""


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached or refused our credentials; the request gets a 503."""


class DatabaseBusy(RuntimeError):
    """No connection was free in time, or the server gave up on the statement: a 503, retry soon."""


def ssl_for(credentials: DbCredentials, settings: DatabaseSettings) -> ssl.SSLContext | bool:
    mode = effective_sslmode(credentials.host, settings)
    if mode == "disable":
        return False
    if mode == "verify-full":
        context = ssl.create_default_context(cafile=settings.ssl_root_cert)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context
    # require (loopback only, see check_db_tls): encrypted, server certificate not checked.
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
        # One permit per connection the pool may open: waiting for a permit is waiting for a free
        # connection, which pool.acquire's own timeout cannot tell apart from a slow connect.
        self._slots = asyncio.Semaphore(settings.pool_max)

    async def run(self, operation: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Runs an idempotent operation on a pooled connection.

        Each kind of failure is retried once: a lost connection (the pool reconnects), then a
        rejected password (the secret is read again, the pool rebuilt). A session killed by a
        failover and a rotated password often arrive together, so both can happen in one call.
        Busy answers and read-only writers are not retried here: the client's retry is.
        """
        retried: set[str] = set()
        while True:
            generation = self._generation
            try:
                pool, generation = await self._current_pool()
                # A permit guarantees a free connection, so acquire never waits for one; opening one
                # is bounded by the pool's connect timeout.
                async with self._slot(), pool.acquire() as connection:
                    return await operation(connection)
            except BUSY_ERRORS as error:
                log.warning("database gave up on the statement", extra={"error_type": type(error).__name__})
                raise DatabaseBusy(type(error).__name__) from error
            except asyncpg.ReadOnlySQLTransactionError as error:
                # The endpoint now points at a reader (failover): reconnect on the next acquire.
                log.warning("database is read-only; reconnecting", extra={"error_type": type(error).__name__})
                await self._expire_connections()
                raise DatabaseUnavailable(type(error).__name__) from error
            except ConfigError as error:
                log.error("database configuration error", extra={"reason": str(error)})
                raise DatabaseUnavailable("configuration") from error
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

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._slots.locked():
            try:
                async with asyncio.timeout(self._settings.connect_timeout):
                    await self._slots.acquire()
            except TimeoutError:
                log.warning("database pool exhausted", extra={"pool_max": self._settings.pool_max})
                raise DatabaseBusy("pool exhausted") from None
        else:
            await self._slots.acquire()  # a free permit: returns without suspending
        try:
            yield
        finally:
            self._slots.release()

    async def _expire_connections(self) -> None:
        if self._pool is not None:
            await self._pool.expire_connections()

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
                    # Startup settings outrank the role's and the database's defaults (repository.py
                    # relies on READ COMMITTED), and survive every reset.
                    server_settings={
                        "application_name": "payment_service",
                        "default_transaction_isolation": "read committed",
                    },
                    # Nothing here changes session state (no SET, LISTEN, cursors or advisory locks
                    # left held), so a released connection needs no RESET ALL round trip; an open
                    # transaction is still rolled back by asyncpg itself.
                    reset=_keep_session,
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
