"""Credentials from AWS Secrets Manager (deployed) or from DATABASE_URL (local run).

The database secret is the JSON that RDS and the rotation Lambda write: username, password and
usually host, port and dbname. Credentials are cached until the database rejects them; then the
caller invalidates the cache and the next load reads the rotated secret.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

from .config import ConfigError, DatabaseSettings, DbCredentials, Settings, parse_database_url


class CredentialsUnavailable(RuntimeError):
    """The secret could not be read (no access, no such secret, endpoint unreachable)."""


class SecretReader(Protocol):
    def read(self, secret_id: str) -> str: ...


class SecretsManagerReader:
    """Reads AWSCURRENT of a secret; the boto3 client follows the usual credential and endpoint chain."""

    def __init__(self, client: Any = None, region: str | None = None):
        if client is None:
            import boto3  # deferred: a local run without secrets never pays for the import

            client = boto3.client("secretsmanager", region_name=region)
        self._client = client

    def read(self, secret_id: str) -> str:
        return self._client.get_secret_value(SecretId=secret_id)["SecretString"]


def default_secret_reader(settings: Settings, reader: SecretReader | None = None) -> SecretReader | None:
    """The reader handed in (tests), else Secrets Manager when any secret ARN is configured."""
    arns = (settings.database.secret_arn, settings.database.master_secret_arn, settings.redis.auth_secret_arn)
    if reader is not None or not any(arns):
        return reader
    return SecretsManagerReader(region=settings.aws_region)


def credentials_from_secret(text: str, settings: DatabaseSettings) -> DbCredentials:
    try:
        secret = json.loads(text)
        user, password = secret["username"], secret["password"]
    except (ValueError, KeyError, TypeError):
        raise ConfigError("the DB_SECRET_ARN secret must be JSON with username and password") from None
    host = settings.host or secret.get("host")
    if not host:
        raise ConfigError("no database host: set DB_HOST or put host in the DB_SECRET_ARN secret")
    return DbCredentials(
        user=user,
        password=password,
        host=host,
        port=settings.port or int(secret.get("port", 5432)),
        database=settings.name or secret.get("dbname") or "postgres",
    )


class DatabaseCredentials:
    """Caches the current credentials; `invalidate()` makes the next `get()` read the secret again."""

    def __init__(self, settings: DatabaseSettings, reader: SecretReader | None):
        if settings.secret_arn and reader is None:
            raise ConfigError("DB_SECRET_ARN is set but no Secrets Manager reader was configured")
        self._settings = settings
        self._reader = reader
        self._cached: DbCredentials | None = None
        self.loads = 0  # how often the source was read: rotation is visible in the logs and tests

    async def get(self) -> DbCredentials:
        if self._cached is None:
            self._cached = await self._load()
            self.loads += 1
        return self._cached

    def invalidate(self) -> None:
        self._cached = None

    async def _load(self) -> DbCredentials:
        if self._settings.secret_arn:
            try:
                assert self._reader is not None  # __init__ refuses a secret ARN without a reader
                text = await asyncio.to_thread(self._reader.read, self._settings.secret_arn)
            except Exception as error:  # botocore raises many types; each means "no credentials now"
                raise CredentialsUnavailable(type(error).__name__) from error
            return credentials_from_secret(text, self._settings)
        local = parse_database_url(self._settings.url or "")  # Settings.validate requires one of the two
        return DbCredentials(
            user=local.user,
            password=local.password,
            host=self._settings.host or local.host,
            port=self._settings.port or local.port,
            database=self._settings.name or local.database,
        )


def redis_token_from_secret(text: str) -> str:
    """The ElastiCache AUTH secret is either the bare token or JSON with a token/password field."""
    try:
        document = json.loads(text)
    except ValueError:
        return text
    if isinstance(document, dict):
        for field in ("token", "auth_token", "password"):
            if isinstance(document.get(field), str):
                return document[field]
        raise ConfigError("the REDIS_AUTH_SECRET_ARN secret JSON needs a token, auth_token or password field")
    return text
