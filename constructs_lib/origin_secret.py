"""The secret origin header: the value CloudFront sends and the load balancer insists on (EDGE-3, SEC-9).

The region's ALB is internet-facing (CloudFront reaches it by name), so anyone could call it
directly, past CloudFront's WAF and failover. It answers only requests that carry this header
with this value; CloudFront adds it to every origin request.

The value is generated during apply by an ephemeral `aws_secretsmanager_random_password` and
written only through the secret version's write-only `secret_string_wo`, like the database
credentials. Unlike them it is then read back by a data source (`.value`), because a listener
rule condition and a CloudFront custom header can only hold the literal: so this value, and only
this one, sits in the state of the stacks that use it (README: "The origin header"). It is not a
credential to anything but this check; rotating it is raising `version`.

    origin = OriginSecret(self, "origin-secret", OriginSecretProps(name, keys.for_("secrets")))
    origin.arn, origin.header_name      # for the global stack, which reads it into CloudFront
    origin.header                       # name and value, for the listener rule and the payment API

    # another stack (CloudFront's, through the secret region's aliased provider) reads the same way:
    header = OriginHeaderReader(scope, "origin-header", runtime.origin_secret).header

The secret holds the bare header value (no JSON): what the ephemeral password wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.data_aws_secretsmanager_secret_version import DataAwsSecretsmanagerSecretVersion
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

from constructs_lib.ephemeral import EphemeralBlock
from constructs_lib.kms import CustomerKey

HEADER_NAME = "X-Meridian-Origin-Verify"
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,40}$")


@dataclass(frozen=True)
class OriginHeader:
    """The header CloudFront and the payment API add to every origin request, and its value."""

    name: str
    value: str


class OriginSecretRef(Protocol):
    """Where a region's origin header value is kept, and the header that carries it."""

    @property
    def arn(self) -> str: ...

    @property
    def header_name(self) -> str: ...


def _current_value(scope: Construct, secret_id: str, depends_on: Sequence[ITerraformDependable] = ()) -> str:
    """The secret's current value, read by a data source: it sits in the state of the reading stack."""
    current = DataAwsSecretsmanagerSecretVersion(
        scope, "current", secret_id=secret_id, depends_on=list(depends_on) or None
    )
    return current.secret_string


class OriginHeaderReader(Construct):
    """Another stack's read of a region's origin secret (CloudFront's, with that region's provider)."""

    def __init__(self, scope: Construct, id_: str, secret: OriginSecretRef) -> None:
        super().__init__(scope, id_)
        if not _HEADER.match(secret.header_name):
            raise ValueError(f"origin header {secret.header_name!r}; allowed: letters, digits and '-'")
        self.header = OriginHeader(secret.header_name, _current_value(self, secret.arn))


@dataclass(frozen=True)
class OriginSecretProps:
    name: str  # the secret's name, with the environment suffix
    key: CustomerKey  # the region's secrets key
    header_name: str = HEADER_NAME
    length: int = 48  # letters and digits only: a header value needs no quoting anywhere
    version: int = 1  # raise to generate and write a new value in the next apply (rotation)
    recovery_window_days: int = 7

    def __post_init__(self) -> None:
        if self.key.purpose != "secrets":
            raise ValueError(f"secret {self.name}: encrypted with the 'secrets' key, not the {self.key.purpose!r} key")
        if not _HEADER.match(self.header_name):
            raise ValueError(f"secret {self.name}: header {self.header_name!r}; allowed: letters, digits and '-'")
        if not 32 <= self.length <= 128:
            raise ValueError(f"secret {self.name}: length {self.length}; allowed: 32 to 128 characters")
        if self.version < 1:
            raise ValueError(f"secret {self.name}: version {self.version}; allowed: 1 or more")


class OriginSecret(Construct):
    def __init__(self, scope: Construct, id_: str, props: OriginSecretProps) -> None:
        super().__init__(scope, id_)
        self.header_name = props.header_name
        self._secret = SecretsmanagerSecret(
            self,
            "secret",
            name=props.name,
            description=f"Value of the {props.header_name} header CloudFront sends and the load balancer requires",
            kms_key_id=props.key.arn,
            recovery_window_in_days=props.recovery_window_days,
        )
        value = EphemeralBlock(
            self,
            "value",
            "aws_secretsmanager_random_password",
            {"password_length": props.length, "exclude_punctuation": True, "include_space": False},
        )
        version = SecretsmanagerSecretVersion(
            self,
            "version",
            secret_id=self._secret.id,
            secret_string_wo=value.ref("random_password"),
            secret_string_wo_version=props.version,
        )
        # Read back after the version is written: the listener rule and the payment API need the literal.
        self._value = _current_value(self, self._secret.id, depends_on=[version])

    @property
    def arn(self) -> str:
        return self._secret.arn

    @property
    def value(self) -> str:
        """The header's value, for the listener rule that checks it (it is in this stack's state)."""
        return self._value

    @property
    def header(self) -> OriginHeader:
        return OriginHeader(self.header_name, self._value)
