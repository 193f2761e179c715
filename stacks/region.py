"""What every part of a regional stack builds on, handed over as one value instead of six arguments."""

from __future__ import annotations

from dataclasses import dataclass

from config import EnvironmentConfig
from constructs_lib.alerts import AlertTopic
from constructs_lib.kms import KeyRing
from constructs_lib.log_group import LogSettings
from constructs_lib.naming import Naming
from constructs_lib.network import Network


@dataclass(frozen=True)
class RegionBasics:
    """The environment's config and names, the region, its key ring, log settings, alert topic and network."""

    config: EnvironmentConfig
    naming: Naming
    region: str
    keys: KeyRing
    logs: LogSettings
    alerts: AlertTopic
    network: Network
