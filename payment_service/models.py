"""What the API accepts and returns. No card data is accepted at all: a payment names references."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from .cardnumbers import contains_card_number
from .currencies import ISO_4217_CODES

# 10 000 000.00 in a two-decimal currency: above that, a payment is a wire transfer, not ours.
MAX_AMOUNT_MINOR = 1_000_000_000
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
REFERENCE_MIN_LENGTH, REFERENCE_MAX_LENGTH = 3, 64
_REFERENCE = re.compile(REFERENCE_PATTERN)
# Clients send a UUID or similar token; 8..128 URL-safe characters, nothing a log could misread.
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def _active_currency(code: str) -> str:
    if code not in ISO_4217_CODES:
        raise ValueError("currency must be an active ISO 4217 code in upper case, such as EUR or USD")
    return code


def _no_card_number(reference: str) -> str:
    # A reference is stored, returned and listed: a card number must never become one.
    if contains_card_number(reference):
        raise ValueError("a reference must not contain a card number")
    return reference


def is_valid_reference(value: str) -> bool:
    """What Reference accepts, for values that do not come through a model (token claims)."""
    return (
        REFERENCE_MIN_LENGTH <= len(value) <= REFERENCE_MAX_LENGTH
        and _REFERENCE.fullmatch(value) is not None
        and not contains_card_number(value)
    )


Reference = Annotated[
    str,
    StringConstraints(min_length=REFERENCE_MIN_LENGTH, max_length=REFERENCE_MAX_LENGTH, pattern=REFERENCE_PATTERN),
    AfterValidator(_no_card_number),
]
Currency = Annotated[str, AfterValidator(_active_currency)]


class PaymentRequest(BaseModel):
    """The body of POST /payments. Unknown fields are refused, so a card number sent by mistake
    is never stored (and the 422 does not echo it back)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    amount_minor: Annotated[int, Field(gt=0, le=MAX_AMOUNT_MINOR, description="amount in minor units (cents)")]
    currency: Currency
    merchant_reference: Reference
    customer_reference: Reference

    def fingerprint(self) -> str:
        """SHA-256 of the validated request, independent of key order and whitespace in the body."""
        canonical = json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class Payment(BaseModel):
    id: UUID
    amount_minor: int
    currency: str
    merchant_reference: str
    customer_reference: str
    status: str
    created_at: datetime


class PaymentPage(BaseModel):
    items: list[Payment]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")
