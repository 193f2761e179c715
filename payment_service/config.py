"""Settings read once from the environment, validated at the edge.

Every variable has a default fit for a local run against loopback servers; anything that would
send credentials in clear text to another host is refused with one sentence naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload
from urllib.parse import unquote, urlsplit

SSL_MODES = ("auto", "disable", "require", "verify-full")
# The AWS RDS global CA bundle, shipped in the image (certs/README.md says where it comes from).
RDS_CA_BUNDLE = Path(__file__).resolve().parent / "certs" / "rds-global-bundle.pem"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# ECS sets 30 s; anything past five minutes would outlive every health-check grace period.
MAX_STARTUP_DELAY_SECONDS = 300.0


class ConfigError(ValueError):
    """A setting the service cannot run with; the message names the variable and what is allowed."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class DbCredentials:
    user: str
    password: str
    host: str
    port: int
    database: str

    def __repr__(self) -> str:  # never print the password, not even in a traceback
        return f"DbCredentials(user={self.user!r}, host={self.host!r}, port={self.port}, database={self.database!r})"


def redacted_url(url: str) -> str:
    """The URL without its user, password and query: what a log line or an error may show."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def parse_database_url(url: str) -> DbCredentials:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.username:
        raise ConfigError("DATABASE_URL must look like postgresql://user:password@host:port/database")
    if parts.query:
        raise ConfigError("DATABASE_URL must not carry query parameters; set DB_SSLMODE for TLS instead")
    return DbCredentials(
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        host=parts.hostname,
        port=parts.port or 5432,
        database=parts.path.lstrip("/") or "postgres",
    )


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the credentials come from and how to reach PostgreSQL.

    secret_arn wins over url: the deployed task reads its secret (which rotates); a local run
    uses DATABASE_URL. host/port/name, when set, override what the secret says. master_secret_arn
    is for `migrate` only: it logs in as the master user and creates the secret_arn user.
    """

    url: str | None = field(repr=False)  # holds the password of a local run
    secret_arn: str | None
    master_secret_arn: str | None
    host: str | None
    port: int | None
    name: str | None
    sslmode: str
    ssl_root_cert: str
    pool_min: int
    pool_max: int
    connect_timeout: float
    command_timeout: float


@dataclass(frozen=True)
class RedisSettings:
    """How to reach and authenticate to Redis: a user (or the default user) with a password
    (AUTH token, given or from a secret), or, with replication_group_id, an IAM token the
    service signs for that ElastiCache replication group (elasticache_auth.py)."""

    url: str
    user: str | None
    auth_token: str | None
    auth_secret_arn: str | None
    replication_group_id: str | None
    timeout: float
    cache_ttl_seconds: int

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "rediss"

    @property
    def iam_auth(self) -> bool:
        return self.replication_group_id is not None

    def __repr__(self) -> str:
        auth = "iam" if self.iam_auth else "token" if self.auth_token or self.auth_secret_arn else "none"
        return f"RedisSettings(url={redacted_url(self.url)!r}, tls={self.tls}, user={self.user!r}, auth={auth})"


@dataclass(frozen=True)
class PopulationSettings:
    """One identity provider's users (a Cognito user pool): who signs their tokens and for whom.

    issuer is the token's `iss`; audience the app client IDs one of which `aud` must name;
    jwks_url where the signing keys are published; id_claim the claim that names the caller.
    """

    issuer: str
    audiences: tuple[str, ...]
    jwks_url: str
    id_claim: str


@dataclass(frozen=True)
class AuthSettings:
    merchants: PopulationSettings
    customers: PopulationSettings


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    redis: RedisSettings
    auth: AuthSettings | None  # None: not configured (migrate needs none; the API refuses to start)
    aws_region: str | None
    startup_delay_seconds: float
    log_level: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        reader = _EnvReader(env)
        settings = cls(
            database=DatabaseSettings(
                url=reader.text("DATABASE_URL"),
                secret_arn=reader.text("DB_SECRET_ARN"),
                master_secret_arn=reader.text("DB_MASTER_SECRET_ARN"),
                host=reader.text("DB_HOST"),
                port=reader.integer("DB_PORT", None, 1, 65535),
                name=reader.text("DB_NAME"),
                sslmode=reader.choice("DB_SSLMODE", "auto", SSL_MODES),
                ssl_root_cert=reader.text("DB_SSL_ROOT_CERT") or str(RDS_CA_BUNDLE),
                pool_min=reader.integer("DB_POOL_MIN", 1, 0, 100),
                pool_max=reader.integer("DB_POOL_MAX", 10, 1, 100),
                connect_timeout=reader.number("DB_CONNECT_TIMEOUT_SECONDS", 3.0, 0.1, 60),
                command_timeout=reader.number("DB_COMMAND_TIMEOUT_SECONDS", 10.0, 0.1, 300),
            ),
            redis=RedisSettings(
                url=reader.text("REDIS_URL") or "redis://127.0.0.1:6379/0",
                user=reader.text("REDIS_USER"),
                auth_token=reader.text("REDIS_AUTH_TOKEN"),
                auth_secret_arn=reader.text("REDIS_AUTH_SECRET_ARN"),
                replication_group_id=reader.text("REDIS_REPLICATION_GROUP_ID"),
                timeout=reader.number("REDIS_TIMEOUT_SECONDS", 0.5, 0.05, 10),
                cache_ttl_seconds=reader.integer("REDIS_CACHE_TTL_SECONDS", 86400, 1, 30 * 86400),
            ),
            auth=_auth_settings(reader),
            aws_region=reader.text("AWS_REGION") or reader.text("AWS_DEFAULT_REGION"),
            startup_delay_seconds=reader.number("STARTUP_DELAY_SECONDS", 0.0, 0.0, MAX_STARTUP_DELAY_SECONDS),
            log_level=reader.choice("LOG_LEVEL", "INFO", LOG_LEVELS),
        )
        settings._validate()
        return settings

    def _validate(self) -> None:
        db = self.database
        if not db.url and not db.secret_arn:
            raise ConfigError("set DB_SECRET_ARN (deployed) or DATABASE_URL (local run); neither is set")
        if db.master_secret_arn and not db.secret_arn:
            raise ConfigError(
                "DB_MASTER_SECRET_ARN is set without DB_SECRET_ARN; allowed: both (migrate creates the DB_SECRET_ARN user)"
            )
        if db.url:
            local = parse_database_url(db.url)
            check_db_tls(db.host or local.host, db.sslmode)
        if db.pool_min > db.pool_max:
            raise ConfigError(f"DB_POOL_MIN={db.pool_min} must not exceed DB_POOL_MAX={db.pool_max}")
        if not os.path.isfile(db.ssl_root_cert):
            raise ConfigError(f"DB_SSL_ROOT_CERT={db.ssl_root_cert!r} is not a readable file; allowed: a PEM CA bundle")
        _check_redis_url(self.redis.url)
        self._check_redis_iam()

    def _check_redis_iam(self) -> None:
        redis = self.redis
        if not redis.iam_auth:
            return
        if redis.auth_token or redis.auth_secret_arn:
            raise ConfigError(
                "REDIS_REPLICATION_GROUP_ID (IAM authentication) and REDIS_AUTH_TOKEN / REDIS_AUTH_SECRET_ARN "
                "are both set; allowed: one way to authenticate"
            )
        missing = [name for name, value in (("REDIS_USER", redis.user), ("AWS_REGION", self.aws_region)) if not value]
        if missing:
            raise ConfigError(
                f"REDIS_REPLICATION_GROUP_ID asks for IAM authentication, which also needs {' and '.join(missing)}"
            )


def _check_redis_url(url: str) -> None:
    """Errors name what is wrong, never the URL itself: it may carry a password."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError(
            f"REDIS_URL has scheme {parts.scheme!r}; allowed: redis://host:port/db or rediss://host:port/db"
        )
    if parts.password:
        raise ConfigError("REDIS_URL must not hold a password; set REDIS_AUTH_TOKEN or REDIS_AUTH_SECRET_ARN")
    if parts.query or parts.fragment:
        # redis-py reads options such as password= or ssl_cert_reqs=none from the query string.
        raise ConfigError(
            "REDIS_URL must not carry query parameters; allowed: redis://host:port/db or rediss://host:port/db"
        )
    if parts.scheme == "redis" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"REDIS_URL uses plain redis:// to {parts.hostname}; only loopback may skip TLS, use rediss://"
        )


def check_db_tls(host: str, sslmode: str) -> None:
    """Only loopback may skip verifying the server (the platform sets rds.force_ssl and ships the RDS CA)."""
    if sslmode in ("disable", "require") and not is_loopback(host):
        raise ConfigError(
            f"DB_SSLMODE={sslmode} does not verify the server and is allowed only for loopback hosts, not {host}; "
            "allowed: auto or verify-full"
        )


def effective_sslmode(host: str, settings: DatabaseSettings) -> str:
    """auto means clear text on loopback and verified TLS (verify-full) to anything else."""
    check_db_tls(host, settings.sslmode)
    if settings.sslmode != "auto":
        return settings.sslmode
    return "disable" if is_loopback(host) else "verify-full"


_POPULATIONS = (("MERCHANT", "custom:merchant_id"), ("CUSTOMER", "sub"))


def _auth_settings(reader: _EnvReader) -> AuthSettings | None:
    names = [f"AUTH_{population}_{part}" for population, _ in _POPULATIONS for part in ("ISSUER", "AUDIENCE")]
    present = [name for name in names if reader.text(name)]
    if not present:
        return None
    missing = [name for name in names if name not in present]
    if missing:
        raise ConfigError(f"caller identity is half configured: set {', '.join(missing)} too")
    merchants, customers = (_population(reader, population, claim) for population, claim in _POPULATIONS)
    if merchants.issuer == customers.issuer:
        raise ConfigError("AUTH_MERCHANT_ISSUER and AUTH_CUSTOMER_ISSUER are equal; allowed: two different user pools")
    return AuthSettings(merchants=merchants, customers=customers)


def _population(reader: _EnvReader, population: str, default_claim: str) -> PopulationSettings:
    issuer = (reader.text(f"AUTH_{population}_ISSUER") or "").rstrip("/")
    jwks_url = reader.text(f"AUTH_{population}_JWKS_URL") or f"{issuer}/.well-known/jwks.json"
    for name, url in ((f"AUTH_{population}_ISSUER", issuer), (f"AUTH_{population}_JWKS_URL", jwks_url)):
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
            raise ConfigError(f"{name} must be an https:// URL without credentials")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ConfigError(
                f"{name} uses plain http:// to {parts.hostname}; only loopback may skip TLS, use https://"
            )
    audiences = tuple(
        part.strip() for part in (reader.text(f"AUTH_{population}_AUDIENCE") or "").split(",") if part.strip()
    )
    if not audiences:
        raise ConfigError(f"AUTH_{population}_AUDIENCE names no app client; allowed: client IDs separated by commas")
    return PopulationSettings(
        issuer=issuer,
        audiences=audiences,
        jwks_url=jwks_url,
        id_claim=reader.text(f"AUTH_{population}_ID_CLAIM") or default_claim,
    )


class _EnvReader:
    def __init__(self, env: Mapping[str, str]):
        self._env = env

    def text(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name) or default
        normalized = value.upper() if allowed[0].isupper() else value.lower()
        if normalized not in allowed:
            raise ConfigError(f"{name}={value!r} is not one of {', '.join(allowed)}")
        return normalized

    def number(self, name: str, default: float, low: float, high: float) -> float:
        return self._bounded(name, default, low, high, float)

    @overload
    def integer(self, name: str, default: int, low: int, high: int) -> int: ...
    @overload
    def integer(self, name: str, default: None, low: int, high: int) -> int | None: ...
    def integer(self, name: str, default: int | None, low: int, high: int) -> int | None:
        return self._bounded(name, default, low, high, int)

    def _bounded(self, name, default, low, high, kind):
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a {kind.__name__}; allowed {low}..{high}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name}={raw!r} is out of range; allowed {low}..{high}")
        return value
