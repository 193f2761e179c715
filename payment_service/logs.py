"""JSON-lines logging with a request ID on every line.

What is logged is chosen where it is logged: method, route template, status, timings, error types.
Request bodies, raw paths and query strings, headers other than the request ID, credentials and
amounts are never passed to a logger. As a second line of defence the formatter masks, in every
line (third-party loggers and tracebacks included), credentials in URLs, password= and token=
pairs, bearer tokens and JWTs, and card numbers.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from .cardnumbers import contains_card_number, mask_card_numbers

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
log = logging.getLogger("payment_service.access")

REQUEST_ID_HEADER = "x-request-id"
# A caller's ID is echoed into logs and headers, so only a plain token is accepted.
_ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_SECRETS = (
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@]+@"), r"\1***@"),  # scheme://user:password@
    (re.compile(r"(?i)\b(password|passwd|pwd|token|secret|auth_token|api_key)=[^&\s,;\"']+"), r"\1=***"),
    (re.compile(r"(?i)\bbearer\s+[^\s,;\"']+"), "Bearer ***"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*"), "***"),  # a JWT outside a header
)


# Short values found to need no masking (messages, methods, routes, error types: most of every
# line), so they are checked once. Only what is logged unchanged anyway is kept; bounded.
_CLEAN: set[str] = set()
_MAX_CLEAN, _MAX_CLEAN_LENGTH = 4096, 128


def scrub(text: str) -> str:
    """text with credentials and card numbers masked."""
    if text in _CLEAN:
        return text
    masked = text
    for pattern, replacement in _SECRETS:
        masked = pattern.sub(replacement, masked)
    masked = mask_card_numbers(masked)
    if masked == text and len(text) <= _MAX_CLEAN_LENGTH and len(_CLEAN) < _MAX_CLEAN:
        _CLEAN.add(text)
    return masked


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": request_id_var.get(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and not name.startswith("_"):
                if isinstance(value, (int, float, bool, type(None))):
                    document[name] = value
                else:
                    document[name] = scrub(value if isinstance(value, str) else str(value))
        if record.exc_info:
            document["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(document)


def configure(level: str = "INFO", stream=None) -> None:
    """Sends every logger to one JSON-lines handler on stdout, unless logging is already set up
    (uvicorn's --log-config, or a test's capture)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(JsonLinesFormatter())
        root.addHandler(handler)
        root.setLevel(level)
    logging.getLogger("payment_service").setLevel(level)


def _request_id(scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            # A card number passes the token pattern; it would be on every line of the request.
            if _ACCEPTED_REQUEST_ID.fullmatch(candidate) and not contains_card_number(candidate, grouped=True):
                return candidate
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Outermost ASGI middleware: request ID in, request ID out, one access line per request, and a
    JSON 500 (never a traceback) for anything nobody else handled."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        response = {"status": 500, "started": False}

        async def send_with_request_id(message):
            if message["type"] == "http.response.start":
                response.update(status=message["status"], started=True)
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            log.exception("unhandled error")
            if not response["started"]:
                await _send_internal_error(send_with_request_id, request_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": _route_template(scope),
                    "status": response["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _route_template(scope) -> str | None:
    """The matched route's template, e.g. /payments/{payment_id}, never the raw path: a client can
    put anything in a URL, a card number included. None when no route matched."""
    route = scope.get("route")
    return getattr(route, "path", None)


async def _send_internal_error(send, request_id: str) -> None:
    body = json.dumps({"error": "internal_error", "message": "unexpected error", "request_id": request_id}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
