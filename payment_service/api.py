"""The payment endpoints."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from .errors import ApiError
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
    422: {"description": "invalid field"},
    503: {"description": "database unavailable"},
}


def payment_service(request: Request) -> PaymentService:
    return request.app.state.payments


def idempotency_key(key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> str:
    """Checked before the body, so a client learns about the missing key first."""
    if key is None:
        raise ApiError(400, "idempotency_key_required", "the Idempotency-Key header is required")
    if not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise ApiError(
            400,
            "idempotency_key_invalid",
            "the Idempotency-Key header must be 8 to 128 characters of A-Z, a-z, 0-9, '_', '.', ':' or '-'",
        )
    return key


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
    body: PaymentRequest,
    response: Response,
    key: Annotated[str, Depends(idempotency_key)],
    payments: Annotated[PaymentService, Depends(payment_service)],
) -> Payment:
    result = await payments.create(key, body)
    if not result.created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return result.payment


@router.get(
    "/payments/{payment_id}", response_model=Payment, responses={404: {"description": "no such payment"}, **_ERRORS}
)
async def get_payment(payment_id: UUID, payments: Annotated[PaymentService, Depends(payment_service)]) -> Payment:
    payment = await payments.get(payment_id)
    if payment is None:
        raise ApiError(404, "payment_not_found", f"no payment with id {payment_id}")
    return payment


@router.get("/payments", response_model=PaymentPage, responses=_ERRORS)
async def list_payments(
    merchant: Annotated[Reference, Query(description="merchant_reference whose payments to list")],
    payments: Annotated[PaymentService, Depends(payment_service)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> PaymentPage:
    return await payments.list_for_merchant(merchant, limit, cursor)
