"""What the service keeps in Redis, and how an entry that cannot be trusted is dropped.

Two entries per payment, both written only after PostgreSQL committed:
- `payments:<version>:idempotency:<merchant>:<key>` holds the ID of the payment a merchant's key
  created. It never decides a replay: it only lets the replay skip the insert and read that one
  row by primary key, and PostgreSQL's row (and its stored fingerprint) gives the answer.
- `payments:<version>:id:<payment id>` holds the payment as JSON for GET /payments/{id}; payments
  are immutable in this service, so a copy does not go stale.

<version> is derived from the entries' shape (the Payment model's JSON schema and the idempotency
entry's format), so a release that changes either reads fresh keys and never an old entry. An
entry that does not parse is a miss, and is deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from uuid import UUID

from pydantic import ValidationError

from .cache import Cache
from .models import Payment

log = logging.getLogger(__name__)
IDEMPOTENCY_ENTRY_FORMAT = {"payment_id": "uuid"}


def _schema_version() -> str:
    shape = json.dumps([Payment.model_json_schema(), IDEMPOTENCY_ENTRY_FORMAT], sort_keys=True)
    return hashlib.sha256(shape.encode()).hexdigest()[:12]


SCHEMA_VERSION = _schema_version()


def idempotency_key(merchant: str, key: str) -> str:
    # Neither part can hold the other's separator ambiguously: merchants have no ':'.
    return f"payments:{SCHEMA_VERSION}:idempotency:{merchant}:{key}"


def payment_key(payment_id: UUID | str) -> str:
    return f"payments:{SCHEMA_VERSION}:id:{payment_id}"


class PaymentCache:
    def __init__(self, cache: Cache):
        self._cache = cache

    async def replayed_payment_id(self, merchant: str, key: str) -> UUID | None:
        """The ID of the payment this merchant's key created, as remembered; PostgreSQL must confirm it."""
        cache_key = idempotency_key(merchant, key)
        raw = await self._cache.get(cache_key)
        if raw is None:
            return None
        try:
            return UUID(json.loads(raw)["payment_id"])
        except (ValueError, TypeError, KeyError, AttributeError):
            await self._drop(cache_key)
            return None

    async def payment(self, payment_id: UUID) -> Payment | None:
        cache_key = payment_key(payment_id)
        raw = await self._cache.get(cache_key)
        if raw is None:
            return None
        try:
            payment = Payment.model_validate_json(raw)
        except ValidationError:
            await self._drop(cache_key)
            return None
        if payment.id != payment_id:
            await self._drop(cache_key)
            return None
        return payment

    async def remember(self, merchant: str, key: str, payment: Payment) -> None:
        """Both entries in one round trip, after the commit that decided them."""
        await self._cache.set_many(
            {
                idempotency_key(merchant, key): json.dumps({"payment_id": str(payment.id)}),
                payment_key(payment.id): payment.model_dump_json(),
            }
        )

    async def remember_payment(self, payment: Payment) -> None:
        await self._cache.set_many({payment_key(payment.id): payment.model_dump_json()})

    async def forget_replay(self, merchant: str, key: str) -> None:
        """The entry pointed at a row PostgreSQL no longer has."""
        await self._drop(idempotency_key(merchant, key))

    async def _drop(self, cache_key: str) -> None:
        log.warning("cache entry unusable; dropped", extra={"cache_entry": cache_key.split(":")[2]})
        await self._cache.delete(cache_key)
