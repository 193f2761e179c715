"""One region of one environment: the primary serves traffic, the secondary stands by (DC-3)."""

from __future__ import annotations

from constructs import Construct

from config import EnvironmentConfig
from config.model import RegionNetwork
from constructs_lib.alerts import AlertTopic, AlertTopicProps
from constructs_lib.kms import DATA_CLASSES, KeyRing
from stacks.base import MeridianStack

REGIONAL_KEY_PURPOSES = tuple(purpose for purpose in DATA_CLASSES if purpose != "state")


class RegionalStack(MeridianStack):
    def __init__(self, scope: Construct, config: EnvironmentConfig, *, role: str, network: RegionNetwork) -> None:
        super().__init__(scope, config, role=role, region=network.name, remote=True)
        self.network = network
        self.keys = KeyRing(
            self,
            "keys",
            naming=self.naming,
            account_id=self.account_id,
            region=self.region,
            purposes=REGIONAL_KEY_PURPOSES,
        )
        self.alerts = AlertTopic(
            self,
            "alerts",
            AlertTopicProps(name=self.naming.name("alerts"), key=self.keys.for_("sns"), account_id=self.account_id),
        )
        for key in self.keys:
            self.output(f"kms_{key.purpose}_key_arn", key.arn, f"ARN of the {key.purpose} CMK in {self.region}")
        self.output("alert_topic_arn", self.alerts.arn, f"SNS topic for alarms and budget alerts in {self.region}")
