"""The payment use cases: create once per idempotency key, read, list.

Redis answers first when it can; PostgreSQL decides. The cache is written only after the
database committed, so a failure at any point leaves nothing half-written in either store.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from . import repository
from .cache import Cache
from .database import Database
from .models import Payment, PaymentPage, PaymentRequest
from .pagination import decode_cursor, encode_cursor


class IdempotencyConflict(Exception):
    """The key was already used for a different request body."""


@dataclass(frozen=True)
class CreateResult:
    payment: Payment
    created: bool  # False: an earlier request with this key created it (a replay)


def _idempotency_cache_key(key: str) -> str:
    return f"payments:idempotency:{key}"


def _payment_cache_key(payment_id: UUID | str) -> str:
    return f"payments:id:{payment_id}"


class PaymentService:
    def __init__(self, database: Database, cache: Cache):
        self._database = database
        self._cache = cache

    async def create(self, key: str, request: PaymentRequest) -> CreateResult:
        fingerprint = request.fingerprint()
        cached = await self._cache.get_json(_idempotency_cache_key(key))
        if cached is not None:
            return self._replay(Payment.model_validate(cached["payment"]), cached["fingerprint"], fingerprint)
        payment, stored_fingerprint, created = await self._database.run(
            lambda connection: repository.insert_once(connection, key, fingerprint, request)
        )
        await self._remember(key, payment, stored_fingerprint)
        if created:
            return CreateResult(payment, created=True)
        return self._replay(payment, stored_fingerprint, fingerprint)

    async def get(self, payment_id: UUID) -> Payment | None:
        cached = await self._cache.get_json(_payment_cache_key(payment_id))
        if cached is not None:
            return Payment.model_validate(cached)
        payment = await self._database.run(lambda connection: repository.fetch(connection, payment_id))
        if payment is not None:
            # Payments are immutable in this service, so a cached copy never goes stale.
            await self._cache.set_json({_payment_cache_key(payment_id): payment.model_dump(mode="json")})
        return payment

    async def list_for_merchant(self, merchant: str, limit: int, cursor: str | None) -> PaymentPage:
        after = decode_cursor(cursor) if cursor else None
        # One row more than asked tells whether another page exists without a COUNT.
        rows = await self._database.run(
            lambda connection: repository.fetch_page(connection, merchant, limit + 1, after)
        )
        items = rows[:limit]
        has_more = len(rows) > limit
        next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if has_more else None
        return PaymentPage(items=items, next_cursor=next_cursor)

    async def _remember(self, key: str, payment: Payment, fingerprint: str) -> None:
        body = payment.model_dump(mode="json")
        await self._cache.set_json(
            {
                _idempotency_cache_key(key): {"fingerprint": fingerprint, "payment": body},
                _payment_cache_key(payment.id): body,
            }
        )

    @staticmethod
    def _replay(payment: Payment, stored_fingerprint: str, fingerprint: str) -> CreateResult:
        if stored_fingerprint != fingerprint:
            raise IdempotencyConflict()
        return CreateResult(payment, created=False)
