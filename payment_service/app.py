"""The ASGI application: `uvicorn payment_service.app:create_app --factory`.

Building the app connects to nothing and migrates nothing; connections are made on first use.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import __version__, api, health, logs
from .cache import Cache, iam_auth_token
from .config import ConfigError, Settings
from .credentials import DatabaseCredentials, SecretReader, default_secret_reader
from .database import Database
from .errors import install_error_handlers
from .identity import Authenticator
from .payment_cache import PaymentCache
from .payments import PaymentService


def create_app(settings: Settings | None = None, *, secret_reader: SecretReader | None = None) -> FastAPI:
    """settings default to the environment; secret_reader defaults to Secrets Manager when a
    secret ARN is configured (tests hand in a client for a local emulator)."""
    settings = settings or Settings.from_env()
    if settings.auth is None:
        raise ConfigError(
            "the API serves no anonymous callers: set AUTH_MERCHANT_ISSUER, AUTH_MERCHANT_AUDIENCE, "
            "AUTH_CUSTOMER_ISSUER and AUTH_CUSTOMER_AUDIENCE (the two user pools)"
        )
    logs.configure(settings.log_level)
    reader = default_secret_reader(settings, secret_reader)
    database = Database(settings.database, DatabaseCredentials(settings.database, reader))
    cache = Cache(settings.redis, reader, iam_auth_token(settings.redis, settings.aws_region))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await database.close()
        await cache.close()

    app = FastAPI(title="Meridian payment service", version=__version__, lifespan=lifespan)
    app.state.database, app.state.cache = database, cache
    app.state.readiness = health.ReadinessGate(settings.startup_delay_seconds)
    app.state.authenticator = Authenticator(settings.auth)
    app.state.payments = PaymentService(database, PaymentCache(cache))
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(api.router)
    app.add_middleware(logs.RequestContextMiddleware)
    return app
