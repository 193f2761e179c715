"""The payment endpoints. Every one of them needs a caller: a bearer token from a platform user pool.

Merchants create, read and list their own payments; customers read the payments made for them.
Another caller's payment is answered like one that does not exist (404).

Answers are serialized once, by pydantic's compiled JSON encoder, straight into the response: the
models are ours and already valid, so FastAPI's response-model round trip (dump, validate again,
encode again) would only cost time; `response_model` still documents them in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel

from .cardnumbers import contains_card_number
from .errors import ApiError
from .identity import Authenticator, Caller
from .models import (
    DEFAULT_PAGE_SIZE,
    IDEMPOTENCY_KEY_PATTERN,
    MAX_PAGE_SIZE,
    Payment,
    PaymentPage,
    PaymentRequest,
    Reference,
)
from .payments import PaymentService

router = APIRouter(tags=["payments"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "bad header, JSON or cursor"},
    401: {"description": "no valid bearer token"},
    403: {"description": "not allowed for this caller"},
    422: {"description": "invalid field"},
    503: {"description": "database or identity provider unavailable or busy"},
}


def _payments(request: Request) -> PaymentService:
    # Read from the app's state in the handler, not as a dependency: one resolution less per request.
    return request.app.state.payments


async def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """Resolved before every other parameter and before body validation (only a body that is not
    JSON at all is answered first), so an anonymous request learns nothing about the endpoint."""
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.caller(authorization)


async def merchant(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if not who.is_merchant:
        raise ApiError(403, "forbidden", "customer tokens may only read payments made for them")
    return who


async def idempotency_key(key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> str:
    """Checked before the body, so a client learns about the missing key first."""
    if key is None:
        raise ApiError(400, "idempotency_key_required", "the Idempotency-Key header is required")
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise ApiError(
            400,
            "idempotency_key_invalid",
            "the Idempotency-Key header must be 8 to 128 characters of A-Z, a-z, 0-9, '_', '.', ':' or '-'",
        )
    if contains_card_number(key):  # keys are stored: a card number must not become one
        raise ApiError(400, "idempotency_key_invalid", "the Idempotency-Key header must not contain a card number")
    return key


def _json(model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(model.model_dump_json(), status_code, headers, media_type="application/json")


def _own_merchant(who: Caller, merchant_reference: str) -> None:
    if merchant_reference != who.reference:
        raise ApiError(403, "merchant_mismatch", "the token's merchant may only act on its own merchant_reference")


@router.post(
    "/payments",
    status_code=201,
    response_model=Payment,
    responses={
        200: {"description": "replay of an earlier request with the same key and body"},
        409: {"description": "key reused with a different body"},
        **_ERRORS,
    },
)
async def create_payment(
    who: Annotated[Caller, Depends(merchant)],
    key: Annotated[str, Depends(idempotency_key)],
    body: PaymentRequest,
    request: Request,
) -> Response:
    _own_merchant(who, body.merchant_reference)
    result = await _payments(request).create(key, body)
    if result.created:
        return _json(result.payment, 201)
    return _json(result.payment, 200, {"Idempotent-Replayed": "true"})


@router.get(
    "/payments/{payment_id}", response_model=Payment, responses={404: {"description": "no such payment"}, **_ERRORS}
)
async def get_payment(
    who: Annotated[Caller, Depends(caller)],
    payment_id: UUID,
    request: Request,
) -> Response:
    payment = await _payments(request).get(who, payment_id)
    if payment is None:
        raise ApiError(404, "payment_not_found", f"no payment with id {payment_id}")
    return _json(payment)


@router.get("/payments", response_model=PaymentPage, responses=_ERRORS)
async def list_payments(
    who: Annotated[Caller, Depends(merchant)],
    merchant_reference: Annotated[Reference, Query(alias="merchant", description="the calling merchant's reference")],
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    _own_merchant(who, merchant_reference)
    return _json(await _payments(request).list_for_merchant(merchant_reference, limit, cursor))
