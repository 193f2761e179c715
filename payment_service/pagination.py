"""Opaque keyset cursors for GET /payments: the (created_at, id) of the last row of a page."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from uuid import UUID


class InvalidCursor(ValueError):
    """The cursor was not produced by this service (or was cut short)."""

    def __init__(self):
        super().__init__("cursor is malformed; pass back next_cursor from the previous page unchanged")


def encode_cursor(created_at: datetime, payment_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(payment_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, payment_id = json.loads(raw)
        position = datetime.fromisoformat(created_at), UUID(payment_id)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise InvalidCursor() from None
    if position[0].tzinfo is None:
        raise InvalidCursor()
    return position
