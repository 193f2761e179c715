"""Schema migrations, applied by `python -m payment_service migrate` and never at import or start-up.

Migrations run under a session advisory lock, each in its own transaction, so two tasks migrating at
the same time apply each version exactly once. Versions are append-only: never edit an applied one.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import asyncpg

from . import logs
from .config import ConfigError, Settings
from .credentials import DatabaseCredentials, default_secret_reader
from .database import Database, DatabaseUnavailable

log = logging.getLogger(__name__)
# Arbitrary constant shared by every migrating process ("PAYM" in ASCII).
MIGRATION_LOCK_ID = 0x5041594D

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "payments and their audit trail",
        """
        CREATE TABLE payments (
            id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
            idempotency_key     text        NOT NULL,
            request_fingerprint char(64)    NOT NULL,
            merchant_reference  text        NOT NULL,
            customer_reference  text        NOT NULL,
            amount_minor        bigint      NOT NULL CHECK (amount_minor > 0),
            currency            char(3)     NOT NULL,
            status              text        NOT NULL DEFAULT 'pending'
                                            CHECK (status IN ('pending', 'succeeded', 'failed')),
            created_at          timestamptz NOT NULL DEFAULT now(),
            -- The database, not the cache, guarantees one payment per idempotency key.
            CONSTRAINT payments_idempotency_key_unique UNIQUE (idempotency_key)
        );
        -- Keyset pagination of one merchant's payments, newest first.
        CREATE INDEX payments_merchant_page ON payments (merchant_reference, created_at DESC, id DESC);

        -- Every change to a payment, written in the same transaction as the change (PCI DSS 10).
        CREATE TABLE payment_events (
            id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            payment_id  uuid        NOT NULL REFERENCES payments (id),
            event_type  text        NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX payment_events_payment ON payment_events (payment_id);
        """,
    ),
    (
        2,
        "idempotency keys unique per merchant",
        """
        -- Two merchants may use the same key (an order number, say); existing rows are unique
        -- globally, so they are unique per merchant too and stay as they are. The constraint keeps
        -- its name because the previous release's insert names it (ON CONFLICT ON CONSTRAINT):
        -- its tasks keep working while a deploy replaces them. Its index also serves the lookup
        -- of an existing payment by merchant and key.
        ALTER TABLE payments DROP CONSTRAINT payments_idempotency_key_unique;
        ALTER TABLE payments ADD CONSTRAINT payments_idempotency_key_unique UNIQUE (merchant_reference, idempotency_key);
        """,
    ),
)


async def migrate(connection: asyncpg.Connection) -> list[int]:
    """Applies the missing migrations in order; returns the versions applied by this call."""
    applied_now = []
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["version"] for row in await connection.fetch("SELECT version FROM schema_migrations")}
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            async with connection.transaction():
                await connection.execute(sql)
                await connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name)
            log.info("migration applied", extra={"migration_version": version, "migration_name": name})
            applied_now.append(version)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    return applied_now


async def _migrate_with(settings: Settings) -> list[int]:
    database = Database(settings.database, DatabaseCredentials(settings.database, default_secret_reader(settings)))
    try:
        return await database.run(migrate)
    finally:
        await database.close()


def main() -> int:
    """`python -m payment_service migrate`: 0 when done, 1 when the database is unreachable, 2 on bad configuration."""
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    try:
        applied = asyncio.run(_migrate_with(settings))
    except DatabaseUnavailable as error:
        log.error("migration failed: database unavailable", extra={"error_type": str(error)})
        return 1
    log.info("migrations done", extra={"applied_versions": ",".join(map(str, applied)) or "none"})
    return 0
