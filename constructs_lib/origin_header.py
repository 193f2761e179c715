"""The secret header a region's load balancer requires on every request but its health path (EDGE-3).

The runtime keeps the value in a Secrets Manager secret of its region; CloudFront (each origin)
and API Gateway (each payment integration) send it. Both take it as a plain argument: CloudFront's
origin custom headers and API Gateway's integration request parameters have no write-only form,
so the value is read here through a data source and sits in the state of the stack that reads it
(README: why that is acceptable, and how the value is rotated).

    header = OriginHeaderSecret(scope, "origin-header", runtime.origin_secret).header
    header.name, header.value
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from cdktf_cdktf_provider_aws.data_aws_secretsmanager_secret_version import DataAwsSecretsmanagerSecretVersion
from constructs import Construct

_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True)
class OriginHeader:
    name: str
    value: str


class OriginSecretRef(Protocol):
    """The runtime's secret: where the value is, and the header that carries it."""

    @property
    def arn(self) -> str: ...

    @property
    def header_name(self) -> str: ...


class OriginHeaderSecret(Construct):
    def __init__(self, scope: Construct, id_: str, secret: OriginSecretRef) -> None:
        super().__init__(scope, id_)
        if not _HEADER_NAME.match(secret.header_name):
            raise ValueError(f"origin header {secret.header_name!r}; allowed: letters, digits and '-'")
        current = DataAwsSecretsmanagerSecretVersion(self, "current", secret_id=secret.arn)
        self.header = OriginHeader(secret.header_name, current.secret_string)
