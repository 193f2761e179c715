"""The secret under rotation, seen through the Secrets Manager rotation contract.

Versions carry staging labels: AWSCURRENT is what clients read, AWSPENDING the version a rotation
is creating (its ClientRequestToken is its version ID), AWSPREVIOUS the one before AWSCURRENT.
Every read names its label: a secret's default version is not necessarily AWSCURRENT's.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AWSCURRENT, AWSPENDING, AWSPREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
ENGINE = "postgres"
DEFAULT_PORT, DEFAULT_DBNAME = 5432, "postgres"
PASSWORD_LENGTH = 32
# Only RFC 3986 unreserved characters: the password stays valid unquoted in a URL, a libpq
# connection string and a shell. 66 symbols in 32 places is about 193 bits.
PASSWORD_PUNCTUATION = "-._~"
EXCLUDED_CHARACTERS = "".join(sorted(set(string.punctuation) - set(PASSWORD_PUNCTUATION)))


class RotationError(Exception):
    """A precondition of the rotation contract or of the database does not hold: the step fails."""


@dataclass(frozen=True, repr=False)
class DatabaseSecret:
    """The secret's JSON: engine, host, port, dbname, username, password (other fields are kept)."""

    fields: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, where: str) -> DatabaseSecret:
        try:
            fields = json.loads(text)
        except ValueError:
            raise RotationError(f"{where} is not JSON") from None
        if not isinstance(fields, dict):
            raise RotationError(f"{where} is not a JSON object")
        missing = [name for name in ("engine", "host", "username", "password") if not fields.get(name)]
        if missing:
            raise RotationError(
                f"{where} has no {', '.join(missing)}: a PostgreSQL secret needs engine, host, "
                "port, dbname, username and password"
            )
        if fields["engine"] != ENGINE:
            raise RotationError(f"{where} has engine {fields['engine']!r}; this function rotates {ENGINE!r} only")
        secret = cls(fields)
        if not 0 < secret.port < 65536:
            raise RotationError(f"{where} has port {secret.port}; a TCP port is 1-65535")
        return secret

    @property
    def host(self) -> str:
        return self.fields["host"]

    @property
    def port(self) -> int:
        try:
            return int(self.fields.get("port", DEFAULT_PORT))
        except (TypeError, ValueError):
            return 0

    @property
    def dbname(self) -> str:
        return self.fields.get("dbname") or DEFAULT_DBNAME

    @property
    def username(self) -> str:
        return self.fields["username"]

    @property
    def password(self) -> str:
        return self.fields["password"]

    @property
    def login(self) -> tuple[str, int, str, str]:
        """Where and as whom it logs in: everything but the password."""
        return self.host, self.port, self.dbname, self.username

    def with_password(self, password: str) -> DatabaseSecret:
        return DatabaseSecret({**self.fields, "password": password})

    def to_json(self) -> str:
        return json.dumps(dict(self.fields))

    def __repr__(self) -> str:  # never the password, not even in a traceback
        return (
            f"DatabaseSecret(username={self.username!r}, host={self.host!r}, port={self.port}, dbname={self.dbname!r})"
        )


class SecretStore:
    """One secret in Secrets Manager, read and labelled the way the rotation contract says."""

    def __init__(self, client: Any, secret_id: str):
        self._client = client
        self.secret_id = secret_id

    def labels(self) -> dict[str, list[str]]:
        """Version ID -> staging labels; refuses a secret whose rotation is switched off."""
        metadata = self._client.describe_secret(SecretId=self.secret_id)
        if not metadata.get("RotationEnabled", True):
            raise RotationError(f"secret {self.secret_id} is not enabled for rotation")
        return metadata.get("VersionIdsToStages", {})

    def is_current(self, token: str) -> bool:
        """True when the token's version is AWSCURRENT already (the step has nothing left to do);
        refuses a token that is not this secret's AWSPENDING version."""
        labels = self.labels().get(token)
        if labels is None:
            raise RotationError(f"secret {self.secret_id} has no version {token}")
        if AWSCURRENT in labels:
            return True
        if AWSPENDING not in labels:
            raise RotationError(f"version {token} of secret {self.secret_id} is not AWSPENDING")
        return False

    def version_labelled(self, label: str) -> str | None:
        return next((version for version, labels in self.labels().items() if label in labels), None)

    def get(self, label: str, token: str | None = None) -> DatabaseSecret:
        request = {"SecretId": self.secret_id, "VersionStage": label}
        if token is not None:
            request["VersionId"] = token
        text = self._client.get_secret_value(**request)["SecretString"]
        return DatabaseSecret.parse(text, f"secret {self.secret_id} {label}")

    def has_value(self, label: str, token: str) -> bool:
        try:
            self._client.get_secret_value(SecretId=self.secret_id, VersionId=token, VersionStage=label)
        except self._client.exceptions.ResourceNotFoundException:
            return False
        return True

    def random_password(self) -> str:
        response = self._client.get_random_password(
            PasswordLength=PASSWORD_LENGTH, ExcludeCharacters=EXCLUDED_CHARACTERS, RequireEachIncludedType=True
        )
        return response["RandomPassword"]

    def put_pending(self, token: str, secret: DatabaseSecret) -> None:
        self._client.put_secret_value(
            SecretId=self.secret_id, ClientRequestToken=token, SecretString=secret.to_json(), VersionStages=[AWSPENDING]
        )

    def make_current(self, token: str, current_version: str) -> None:
        """Moves AWSCURRENT to the token's version; Secrets Manager moves AWSPREVIOUS along."""
        self._client.update_secret_version_stage(
            SecretId=self.secret_id, VersionStage=AWSCURRENT, MoveToVersionId=token, RemoveFromVersionId=current_version
        )
