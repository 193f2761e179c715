"""SQL for payments. Each function takes a connection and is safe to run twice (see Database.run)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from .models import Payment, PaymentRequest

COLUMNS = "id, amount_minor, currency, merchant_reference, customer_reference, status, created_at"


@dataclass(frozen=True)
class StoredPayment:
    payment: Payment
    fingerprint: str  # SHA-256 of the request that created it
    created: bool  # True only for the call that inserted it


def _payment(row: asyncpg.Record) -> Payment:
    return Payment(**{name: row[name] for name in Payment.model_fields})


# The payment and its audit row in one statement: atomic as every statement is, and one round trip.
_INSERT_WITH_EVENT = f"""
    WITH created AS (
        INSERT INTO payments
            (idempotency_key, request_fingerprint, merchant_reference, customer_reference, amount_minor, currency)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (merchant_reference, idempotency_key) DO NOTHING
        RETURNING {COLUMNS}
    ), audit AS (
        INSERT INTO payment_events (payment_id, event_type) SELECT id, 'payment.created' FROM created
    )
    SELECT {COLUMNS} FROM created
"""
_EXISTING = (
    f"SELECT {COLUMNS}, request_fingerprint FROM payments WHERE merchant_reference = $1 AND idempotency_key = $2"
)


async def insert_once(
    connection: asyncpg.Connection, key: str, fingerprint: str, request: PaymentRequest
) -> StoredPayment:
    """Stores the payment unless its merchant already used the key; returns what is stored.

    The insert and its audit row are one statement, so they commit together or not at all. Sessions
    run READ COMMITTED whatever the role's or server's default (database.py pins it at connect): ON
    CONFLICT DO NOTHING waits for a concurrent insert of the same merchant and key to commit or roll
    back, and the SELECT after it, a statement of its own, takes a new snapshot that sees that
    committed row. (Under REPEATABLE READ the conflict is a serialization failure instead.) So
    concurrent duplicates all get the one payment, and no request ever sees a unique violation.
    """
    merchant = request.merchant_reference
    row = await connection.fetchrow(
        _INSERT_WITH_EVENT,
        key,
        fingerprint,
        merchant,
        request.customer_reference,
        request.amount_minor,
        request.currency,
    )
    if row is not None:
        return StoredPayment(_payment(row), fingerprint, created=True)
    existing = await connection.fetchrow(_EXISTING, merchant, key)
    if existing is None:  # the conflicting row was committed, so a new statement sees it
        raise RuntimeError("idempotency key conflict without a visible row")
    return StoredPayment(_payment(existing), existing["request_fingerprint"], created=False)


async def fetch_replay(
    connection: asyncpg.Connection, payment_id: UUID, merchant: str, key: str
) -> StoredPayment | None:
    """The payment a merchant's key created, by primary key: one statement, no transaction."""
    row = await connection.fetchrow(
        f"SELECT {COLUMNS}, request_fingerprint FROM payments"
        " WHERE id = $1 AND merchant_reference = $2 AND idempotency_key = $3",
        payment_id,
        merchant,
        key,
    )
    return None if row is None else StoredPayment(_payment(row), row["request_fingerprint"], created=False)


async def fetch(connection: asyncpg.Connection, payment_id: UUID) -> Payment | None:
    row = await connection.fetchrow(f"SELECT {COLUMNS} FROM payments WHERE id = $1", payment_id)
    return None if row is None else _payment(row)


async def fetch_page(
    connection: asyncpg.Connection, merchant: str, limit: int, after: tuple[datetime, UUID] | None
) -> list[Payment]:
    """Up to `limit` payments of the merchant, newest first, strictly after the cursor position."""
    if after is None:
        rows = await connection.fetch(
            f"SELECT {COLUMNS} FROM payments WHERE merchant_reference = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            merchant,
            limit,
        )
    else:
        rows = await connection.fetch(
            f"SELECT {COLUMNS} FROM payments WHERE merchant_reference = $1 AND (created_at, id) < ($2, $3)"
            " ORDER BY created_at DESC, id DESC LIMIT $4",
            merchant,
            after[0],
            after[1],
            limit,
        )
    return [_payment(row) for row in rows]
