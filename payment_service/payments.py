"""The payment use cases: create once per merchant and idempotency key, read, list.

PostgreSQL decides; Redis only shortens the way to what it decided. A replay that Redis knows
reads its one row by primary key instead of attempting the insert, and answers from that row; if
the row is gone, the entry is dropped and the request runs as new. The cache is written only
after the database committed, so a failure at any point leaves nothing half-written in either store.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from . import repository
from .database import Database
from .identity import Caller
from .models import Payment, PaymentPage, PaymentRequest
from .pagination import decode_cursor, encode_cursor
from .payment_cache import PaymentCache


class IdempotencyConflict(Exception):
    """The key was already used for a different request body."""


@dataclass(frozen=True)
class CreateResult:
    payment: Payment
    created: bool  # False: an earlier request with this key created it (a replay)


def may_read(caller: Caller, payment: Payment) -> bool:
    """Merchants read their own payments, customers the payments made for them."""
    owner = payment.merchant_reference if caller.is_merchant else payment.customer_reference
    return owner == caller.reference


class PaymentService:
    def __init__(self, database: Database, cache: PaymentCache):
        self._database = database
        self._cache = cache

    async def create(self, key: str, request: PaymentRequest) -> CreateResult:
        """request.merchant_reference is the calling merchant (the API checked it): keys are per merchant."""
        merchant, fingerprint = request.merchant_reference, request.fingerprint()
        remembered = await self._cache.replayed_payment_id(merchant, key)
        if remembered is not None:
            stored = await self._database.run(
                lambda connection: repository.fetch_replay(connection, remembered, merchant, key)
            )
            if stored is not None:
                return self._answer(stored, fingerprint)
            await self._cache.forget_replay(merchant, key)
        stored = await self._database.run(
            lambda connection: repository.insert_once(connection, key, fingerprint, request)
        )
        await self._cache.remember(merchant, key, stored.payment)
        return self._answer(stored, fingerprint)

    async def get(self, caller: Caller, payment_id: UUID) -> Payment | None:
        """The payment when the caller may read it; None (a 404) for unknown and for others' payments alike."""
        payment = await self._cache.payment(payment_id)
        if payment is None:
            payment = await self._database.run(lambda connection: repository.fetch(connection, payment_id))
            if payment is None:
                return None
            await self._cache.remember_payment(payment)
        return payment if may_read(caller, payment) else None

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

    @staticmethod
    def _answer(stored: repository.StoredPayment, fingerprint: str) -> CreateResult:
        """PostgreSQL's stored fingerprint decides between the original (or a replay) and a conflict."""
        if stored.fingerprint != fingerprint:
            raise IdempotencyConflict()
        return CreateResult(stored.payment, created=stored.created)
