"""Logging in to PostgreSQL over verified TLS, and a role changing its own password.

Every connection uses TLS with certificate and host name verification against a CA bundle: the
RDS bundle packaged with the function, or the one DB_SSL_ROOT_CERT names; nothing is ever sent in
clear text. A new password reaches the server only as a SCRAM-SHA-256
verifier computed here, the way psql's \\password does it, so no statement log can show it.
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pg8000.native
from scramp import ScramMechanism

from .secret_store import DatabaseSecret, RotationError

# invalid_password, invalid_authorization_specification: the server answered "not with these".
AUTHENTICATION_FAILED = frozenset({"28P01", "28000"})
SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0


class DatabaseUnreachable(RotationError):
    """No answer, or no trustworthy answer (TLS verification failed): nothing was changed."""


# The RDS CA bundle the build places beside this module (tools/lambda_build takes the one the
# payment service vendors, payment_service/certs/, with its provenance).
BUNDLED_CA = Path(__file__).with_name("rds-global-bundle.pem")


@dataclass(frozen=True)
class DatabaseSettings:
    ca_bundle: str
    connect_timeout: float

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DatabaseSettings:
        env = os.environ if env is None else env
        ca_bundle = env.get("DB_SSL_ROOT_CERT") or str(BUNDLED_CA)
        if not os.path.isfile(ca_bundle):
            raise RotationError(f"no CA bundle at {ca_bundle}: DB_SSL_ROOT_CERT must name one (PEM) or be unset")
        raw_timeout = env.get("DB_CONNECT_TIMEOUT_SECONDS", str(DEFAULT_CONNECT_TIMEOUT_SECONDS))
        try:
            timeout = float(raw_timeout)
        except ValueError:
            timeout = 0.0
        if not 0 < timeout <= 60:
            raise RotationError(f"DB_CONNECT_TIMEOUT_SECONDS={raw_timeout} must be a number of seconds in (0, 60]")
        return cls(ca_bundle=ca_bundle, connect_timeout=timeout)

    def tls_context(self) -> ssl.SSLContext:
        # create_default_context verifies the chain and the host name (CERT_REQUIRED, check_hostname).
        return ssl.create_default_context(cafile=self.ca_bundle)


def _sqlstate(error: pg8000.native.DatabaseError) -> str | None:
    details = error.args[0] if error.args else None
    return details.get("C") if isinstance(details, dict) else None


class Database:
    def __init__(self, settings: DatabaseSettings):
        self._settings = settings

    def try_login(self, secret: DatabaseSecret) -> pg8000.native.Connection | None:
        """A session as the secret's user, or None when the server rejects its password.

        Raises DatabaseUnreachable when the server cannot be reached or not verified."""
        try:
            return pg8000.native.Connection(
                secret.username,
                host=secret.host,
                port=secret.port,
                database=secret.dbname,
                password=secret.password,
                ssl_context=self._settings.tls_context(),
                timeout=self._settings.connect_timeout,
                application_name="meridian-secret-rotation",
            )
        except pg8000.native.DatabaseError as error:
            if _sqlstate(error) in AUTHENTICATION_FAILED:
                return None
            raise
        except (pg8000.native.InterfaceError, OSError) as error:  # ssl.SSLError is an OSError
            raise DatabaseUnreachable(
                f"cannot log in to {secret.host}:{secret.port} over verified TLS: {error}"
            ) from error

    def accepts(self, secret: DatabaseSecret) -> bool:
        session = self.try_login(secret)
        if session is None:
            return False
        session.close()
        return True


def scram_verifier(password: str) -> str:
    """The SCRAM-SHA-256 secret PostgreSQL stores for `password` (a random salt each time)."""
    salt, stored_key, server_key, iterations = ScramMechanism("SCRAM-SHA-256").make_auth_info(
        password, iteration_count=SCRAM_ITERATIONS
    )

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def change_own_password(session: pg8000.native.Connection, password: str) -> None:
    """The session's own role gets `password`; sessions already open stay open."""
    session.run("ALTER ROLE CURRENT_USER PASSWORD " + pg8000.native.literal(scram_verifier(password)))


def check_session(session: pg8000.native.Connection, secret: DatabaseSecret) -> None:
    """The session is the secret's user, in its database, over TLS."""
    rows = session.run("SELECT current_user, current_database(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    if rows != [[secret.username, secret.dbname, True]]:
        raise RotationError(
            f"a login as {secret.username} to {secret.dbname} reports {rows}, not that user and database over TLS"
        )
