"""SQL for payments. Each function takes a connection and is safe to run twice (see Database.run)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from .models import Payment, PaymentRequest

COLUMNS = "id, amount_minor, currency, merchant_reference, customer_reference, status, created_at"


def _payment(row: asyncpg.Record) -> Payment:
    return Payment(**{name: row[name] for name in Payment.model_fields})


async def insert_once(
    connection: asyncpg.Connection, key: str, fingerprint: str, request: PaymentRequest
) -> tuple[Payment, str, bool]:
    """Stores the payment unless the key exists; returns (payment, its fingerprint, created).

    ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit or roll back,
    and the SELECT after it (a new snapshot under READ COMMITTED) sees that committed row; so
    concurrent duplicates all get the one payment and no request ever sees a unique violation.
    (Payments are never deleted, so a conflicting row is always there to read.)
    """
    async with connection.transaction():
        row = await connection.fetchrow(
            f"""
            INSERT INTO payments
                (idempotency_key, request_fingerprint, merchant_reference, customer_reference, amount_minor, currency)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT ON CONSTRAINT payments_idempotency_key_unique DO NOTHING
            RETURNING {COLUMNS}
            """,
            key,
            fingerprint,
            request.merchant_reference,
            request.customer_reference,
            request.amount_minor,
            request.currency,
        )
        if row is not None:
            await connection.execute(
                "INSERT INTO payment_events (payment_id, event_type) VALUES ($1, 'payment.created')", row["id"]
            )
            return _payment(row), fingerprint, True
        existing = await connection.fetchrow(
            f"SELECT {COLUMNS}, request_fingerprint FROM payments WHERE idempotency_key = $1", key
        )
        if existing is None:  # the conflicting row was committed, so a new statement sees it
            raise RuntimeError("idempotency key conflict without a visible row")
        return _payment(existing), existing["request_fingerprint"], False


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
