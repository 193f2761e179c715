"""Every error leaves as {"error": code, "message": sentence[, "details": [...]]}.

Validation details name the field and the rule, never the rejected value: a 422 must not echo
back a card number someone pasted into the wrong field. Every 503 carries Retry-After.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .database import DatabaseBusy, DatabaseUnavailable
from .identity import AuthenticationFailed, IdentityUnavailable
from .pagination import InvalidCursor
from .payments import IdempotencyConflict

log = logging.getLogger(__name__)
# How long a client should wait before retrying a request that met an unavailable or busy dependency.
RETRY_AFTER_SECONDS = "2"
RETRY_WITH_SAME_KEY = "retry with the same Idempotency-Key: nothing was stored"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra
) -> JSONResponse:
    if status == 503:
        headers = {**(headers or {}), "Retry-After": RETRY_AFTER_SECONDS}
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status, headers=headers)


def _field(location: tuple) -> str:
    return ".".join(str(part) for part in location)


async def _validation_failed(request: Request, error: RequestValidationError) -> JSONResponse:
    details = [{"field": _field(item["loc"]), "type": item["type"], "message": item["msg"]} for item in error.errors()]
    if any(item["type"] == "json_invalid" for item in details):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    return error_response(422, "validation_failed", "the request is invalid; see details", details=details)


async def _api_error(request: Request, error: ApiError) -> JSONResponse:
    return error_response(error.status, error.code, error.message)


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


async def _authentication_failed(request: Request, error: AuthenticationFailed) -> JSONResponse:
    challenge = 'Bearer error="invalid_token"' if error.code == "token_invalid" else "Bearer"
    return error_response(401, error.code, error.message, headers={"WWW-Authenticate": challenge})


async def _identity_unavailable(request: Request, error: IdentityUnavailable) -> JSONResponse:
    log.error("identity provider unavailable", extra={"error_type": str(error)})
    return error_response(503, "identity_unavailable", "caller identity cannot be checked right now; retry shortly")


async def _database_unavailable(request: Request, error: DatabaseUnavailable) -> JSONResponse:
    log.error("database unavailable", extra={"error_type": str(error)})
    return error_response(503, "database_unavailable", f"the payment database is unavailable; {RETRY_WITH_SAME_KEY}")


async def _database_busy(request: Request, error: DatabaseBusy) -> JSONResponse:
    # Database.run logged the cause (pool exhausted, or the statement the server gave up on).
    return error_response(503, "database_busy", f"the payment database is busy; {RETRY_WITH_SAME_KEY}")


async def _idempotency_conflict(request: Request, error: IdempotencyConflict) -> JSONResponse:
    return error_response(
        409, "idempotency_key_reused", "this Idempotency-Key was already used with a different request body"
    )


async def _invalid_cursor(request: Request, error: InvalidCursor) -> JSONResponse:
    return error_response(400, "cursor_invalid", str(error))


def install_error_handlers(app: FastAPI) -> None:
    # The decorator form: Starlette types add_exception_handler for handlers of any Exception.
    app.exception_handler(RequestValidationError)(_validation_failed)
    app.exception_handler(ApiError)(_api_error)
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(AuthenticationFailed)(_authentication_failed)
    app.exception_handler(IdentityUnavailable)(_identity_unavailable)
    app.exception_handler(DatabaseUnavailable)(_database_unavailable)
    app.exception_handler(DatabaseBusy)(_database_busy)
    app.exception_handler(IdempotencyConflict)(_idempotency_conflict)
    app.exception_handler(InvalidCursor)(_invalid_cursor)
