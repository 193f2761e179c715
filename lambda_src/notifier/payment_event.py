"""The payment event the notifier publishes, and the checks an event must pass first.

{"event_id": UUID, "event_type": "payment.created" | "payment.succeeded" | "payment.failed",
 "occurred_at": RFC 3339 date-time, "payment": {"id": UUID, "amount_minor": 1..MAX_AMOUNT_MINOR,
 "currency": "EUR", "merchant_reference": ..., "customer_reference": ..., "status": ...}}

Unknown fields are refused, so a card number sent by mistake is never published; a reason names
the field and the rule, never the value.
"""

from __future__ import annotations

import json
from typing import Any

import fastjsonschema

# The payment API's ceiling (payment_service.models.MAX_AMOUNT_MINOR): 10 000 000.00 in cents.
MAX_AMOUNT_MINOR = 1_000_000_000
STATUS_OF_EVENT = {"payment.created": "pending", "payment.succeeded": "succeeded", "payment.failed": "failed"}
_UUID = {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}
_REFERENCE = {"type": "string", "minLength": 3, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"}

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["event_id", "event_type", "occurred_at", "payment"],
    "properties": {
        "event_id": _UUID,
        "event_type": {"enum": sorted(STATUS_OF_EVENT)},
        "occurred_at": {"type": "string", "format": "date-time"},
        "payment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "amount_minor", "currency", "merchant_reference", "customer_reference", "status"],
            "properties": {
                "id": _UUID,
                "amount_minor": {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT_MINOR},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "merchant_reference": _REFERENCE,
                "customer_reference": _REFERENCE,
                "status": {"enum": sorted(set(STATUS_OF_EVENT.values()))},
            },
        },
    },
}


# Compiled once per execution environment (Powertools' validate() compiles on every call).
_check_schema = fastjsonschema.compile(SCHEMA)


class InvalidPaymentEvent(ValueError):
    """The event can never be published; `reason` says which field breaks which rule."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_payment_event(body: str) -> dict[str, Any]:
    """The validated event, or InvalidPaymentEvent."""
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidPaymentEvent("the message body is not JSON") from None
    try:
        _check_schema(event)
    except fastjsonschema.JsonSchemaValueException as error:
        # The message names the path and the rule; error.value (never used) holds the offending data.
        raise InvalidPaymentEvent(error.message.replace("data", "event", 1)) from None
    # JSON Schema counts 5.0 as an integer; an amount in minor units is never written with a fraction.
    if not isinstance(event["payment"]["amount_minor"], int):
        raise InvalidPaymentEvent("event.payment.amount_minor must be an integer number of minor units")
    expected = STATUS_OF_EVENT[event["event_type"]]
    if event["payment"]["status"] != expected:
        raise InvalidPaymentEvent(f"a {event['event_type']} event must carry payment.status {expected!r}")
    return event
