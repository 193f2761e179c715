"""Proof that a working copy runs the offline stand-in before anything is applied.

Applying against the real hashicorp/aws would need (and use) whatever AWS credentials the machine
has. The harness therefore never falls back to another CLI config: the stand-in's comes from
MERIDIAN_OFFLINE_TF_CONFIG (./meridian exports it), and before an apply the provider binary that
`terraform init` installed must be byte-identical to the one in that config's mirror.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import cache
from pathlib import Path

from tools.tfplan.terraform import TerraformError

OFFLINE_CONFIG_VARIABLE = "MERIDIAN_OFFLINE_TF_CONFIG"
_BINARY_GLOB = "**/hashicorp/aws/*/*/terraform-provider-aws*"


class HarnessRefusal(TerraformError):
    """The harness refuses to run Terraform on a working copy it cannot vouch for (one sentence why)."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)
        self.command, self.cwd, self.output = [], Path.cwd(), message


class NotTheStandIn(HarnessRefusal):
    """Asked to apply where the offline stand-in is not (or cannot be) installed."""


def offline_cli_config() -> str:
    """The stand-in's CLI config; never another one, so nothing offline reaches a real provider."""
    path = os.environ.get(OFFLINE_CONFIG_VARIABLE, "")
    if not path or not Path(path).is_file():
        raise NotTheStandIn(
            f"{OFFLINE_CONFIG_VARIABLE} does not name the offline provider's CLI config; run through ./meridian"
        )
    return path


@cache
def _stand_in_digest(cli_config: str) -> str:
    match = re.search(r'filesystem_mirror\s*\{\s*path\s*=\s*"([^"]+)"', Path(cli_config).read_text())
    binaries = sorted(Path(match.group(1)).glob(_BINARY_GLOB)) if match else []
    if len(binaries) != 1:
        raise NotTheStandIn(
            f"{cli_config} is not the offline stand-in's CLI config (one mirrored hashicorp/aws binary)"
        )
    return _digest(binaries[0])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def require_stand_in(directory: Path) -> None:
    """Refuse unless `terraform init` in directory installed exactly the stand-in's binary."""
    installed = sorted((directory / ".terraform" / "providers").glob(_BINARY_GLOB))
    expected = _stand_in_digest(offline_cli_config())
    if len(installed) != 1 or _digest(installed[0]) != expected:
        found = ", ".join(str(path) for path in installed) or "no hashicorp/aws provider"
        raise NotTheStandIn(
            f"refusing to apply in {directory}: the installed provider ({found}) is not the offline stand-in"
        )
