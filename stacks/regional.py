"""One region of one environment: the primary serves traffic, the secondary stands by (DC-3)."""

from __future__ import annotations

from constructs import Construct

from config import EnvironmentConfig
from config.model import RegionNetwork
from constructs_lib.alerts import AlertTopic, AlertTopicProps
from constructs_lib.kms import DATA_CLASSES, KeyRing
from stacks.base import MeridianStack
from stacks.data_tier import DataTier

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
        self.data = DataTier(self, "data", config=config, naming=self.naming, region=self.region, keys=self.keys)
        for name, (value, description) in self.data.outputs().items():
            self.output(name, value, description)

    def stand_by_for(self, primary: RegionalStack) -> None:
        """The secondary region's side of DC-3: replicas of the primary's data, read through its outputs."""
        self.data.replicate_from(primary.data)
