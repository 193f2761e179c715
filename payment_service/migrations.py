"""Schema migrations, applied by `python -m payment_service migrate` and never at import or start-up.

Migrations run under a session advisory lock, each in its own transaction, so two tasks migrating at
the same time apply each version exactly once. Versions are append-only: never edit an applied one.

Deployed (DB_MASTER_SECRET_ARN and DB_SECRET_ARN set), the command logs in as the master user, owns
the schema as that user, and creates the application user named in the DB_SECRET_ARN secret when it
is missing, with that secret's password and only the privileges the service uses (APP_PRIVILEGES):
the service itself cannot change or delete a payment or an audit row, nor alter the schema. A local
run (DATABASE_URL) migrates as the URL's user, who owns its database.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
import re
import sys
from dataclasses import dataclass, field, replace

import asyncpg

from . import logs
from .config import ConfigError, Settings
from .credentials import CredentialsUnavailable, DatabaseCredentials, default_secret_reader
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


# What the application user may do, table by table: payments are written once and read, audit
# events only appended. Granted again after every migration run, so a new table is never forgotten.
APP_PRIVILEGES = (("payments", "SELECT, INSERT"), ("payment_events", "INSERT"))
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SCRAM_ITERATIONS = 4096  # PostgreSQL's own default for scram-sha-256


@dataclass(frozen=True)
class AppUser:
    """The login role the service connects as (the DB_SECRET_ARN secret's username and password)."""

    name: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if not ROLE_NAME.fullmatch(self.name):
            raise ConfigError(
                f"the DB_SECRET_ARN secret's username {self.name!r} is not a plain role name; "
                "allowed: lower-case letters, digits and _, at most 63"
            )


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, RFC 7677): sending it
    instead of the password keeps the password out of the statement, the server's logs and pgaudit."""
    salt = os.urandom(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}"


async def ensure_app_user(connection: asyncpg.Connection, user: AppUser) -> bool:
    """Creates the application user when missing; True when it did. An existing user's password is
    left alone: after creation it belongs to the secret's rotation, which changes both together."""
    if await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user.name):
        return False
    # A verifier is base64, '$' and ':' only, and the name matched ROLE_NAME: nothing to escape.
    await connection.execute(f"CREATE ROLE {user.name} LOGIN PASSWORD '{scram_verifier(user.password)}'")
    return True


async def grant_app_user(connection: asyncpg.Connection, name: str) -> None:
    database = await connection.fetchval("SELECT quote_ident(current_database())")
    await connection.execute(f"GRANT CONNECT ON DATABASE {database} TO {name}")
    # PostgreSQL 15 no longer lets PUBLIC create in the public schema; older engines still do.
    await connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    await connection.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
    for table, privileges in APP_PRIVILEGES:
        await connection.execute(f"GRANT {privileges} ON {table} TO {name}")


async def migrate(connection: asyncpg.Connection, app_user: AppUser | None = None) -> list[int]:
    """Applies the missing migrations in order, then (given one) creates and grants the application
    user; returns the versions applied by this call."""
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
        if app_user is not None:
            async with connection.transaction():
                created = await ensure_app_user(connection, app_user)
                await grant_app_user(connection, app_user.name)
            log.info("application user ready", extra={"app_user": app_user.name, "app_user_created": created})
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    return applied_now


async def _migrate_with(settings: Settings) -> list[int]:
    reader = default_secret_reader(settings)
    target, app_user = settings.database, None
    if settings.database.master_secret_arn:
        # The service's own secret names the user to create and the database it uses.
        app = await DatabaseCredentials(settings.database, reader).get()
        app_user = AppUser(app.user, app.password)
        target = replace(settings.database, secret_arn=settings.database.master_secret_arn, name=app.database)
    database = Database(target, DatabaseCredentials(target, reader))
    try:
        return await database.run(lambda connection: migrate(connection, app_user))
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
    except (DatabaseUnavailable, CredentialsUnavailable) as error:
        log.error("migration failed: database unavailable", extra={"error_type": str(error)})
        return 1
    except ConfigError as error:  # a secret without the fields it needs
        log.error("migration failed: configuration error", extra={"reason": str(error)})
        return 2
    log.info("migrations done", extra={"applied_versions": ",".join(map(str, applied)) or "none"})
    return 0
