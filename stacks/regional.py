"""One region of one environment: the primary serves traffic, the secondary stands by (DC-3)."""

from __future__ import annotations

from constructs import Construct

from config import EnvironmentConfig
from config.model import RegionNetwork
from constructs_lib.alerts import AlertTopic, AlertTopicProps
from constructs_lib.kms import DATA_CLASSES, KeyRing
from constructs_lib.log_group import LogSettings
from constructs_lib.nat import NatInstances
from constructs_lib.network import TIERS, Network, NetworkProps
from stacks.base import MeridianStack
from stacks.data_tier import DataTier
from stacks.edge import RegionalEdge
from stacks.functions import Functions
from stacks.governance import add_config_recorder, add_user_pools
from stacks.network_stores import NetworkStores
from stacks.operations import Operations
from stacks.region import RegionBasics
from stacks.runtime import compose_runtime

# the state key lives in the bootstrap stack, CloudFront's log key in the global stack
REGIONAL_KEY_PURPOSES = tuple(purpose for purpose in DATA_CLASSES if purpose not in ("state", "cdn-logs"))


class RegionalStack(MeridianStack):
    def __init__(
        self,
        scope: Construct,
        config: EnvironmentConfig,
        *,
        role: str,
        plan: RegionNetwork,
        primary: RegionalStack | None = None,
    ) -> None:
        """`primary`: the stack this one stands by for (the secondary region); None for the primary itself."""
        super().__init__(scope, config, role=role, region=plan.name, remote=True)
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
        self.logs = LogSettings(key=self.keys.for_("logs"), retention_days=config.retention.log_days)
        self.network = Network(
            self,
            "network",
            NetworkProps(
                naming=self.naming,
                account_id=self.account_id,
                region=self.region,
                availability_zone_ids=plan.availability_zone_ids,
                vpc_cidr=plan.vpc_cidr,
                public_subnets=plan.public_subnets,
                private_subnets=plan.private_subnets,
                database_subnets=plan.database_subnets,
                logs=self.logs,
                nat_mode=config.nat_mode,
            ),
        )
        _declare_network_outputs(self, self.network)
        for key in self.keys:
            self.output(f"kms_{key.purpose}_key_arn", key.arn, f"ARN of the {key.purpose} CMK in {self.region}")
        self.output("alert_topic_arn", self.alerts.arn, f"SNS topic for alarms and budget alerts in {self.region}")
        self.basics = RegionBasics(config, self.naming, self.region, self.keys, self.logs, self.alerts, self.network)
        self.data = DataTier(self, "data", self.basics)
        self._outputs(self.data.outputs())
        self.user_pools = add_user_pools(self)
        self.aws_config = add_config_recorder(self, self.keys, self.data.access_logs)
        self.stores = NetworkStores(self, "stores", self.basics, backup=self.data.backup)
        self._outputs(self.stores.tier_outputs())
        self._outputs(self.stores.store_outputs())
        self.operations = Operations(self, "operations", self.basics)
        self.operations.watch_stores(self.data, self.stores)
        self._outputs(self.operations.outputs())
        if primary is None:
            self.operations.watch_database(self.stores.lead_global_database())
            self._outputs(self.stores.database_outputs())
        else:
            self.stand_by_for(primary)
        self.functions = Functions(self, "functions", self.basics, stores=self.stores, stream=self.data.stream)
        self._outputs(self.functions.outputs())
        self.operations.watch_functions(self.functions)
        self.runtime = compose_runtime(self)
        self._outputs(self.runtime.outputs())
        self.operations.watch_runtime(self.runtime)
        self.edge = RegionalEdge(
            self,
            "edge",
            self.basics,
            user_pools=self.user_pools,
            access_logs=self.data.access_logs,
            runtime=self.runtime,
        )
        self._outputs(self.edge.outputs())

    def stand_by_for(self, primary: RegionalStack) -> None:
        """The secondary region's side of DC-3: replicas of the primary's data, read through its outputs."""
        self.data.replicate_from(primary.data)
        self.operations.watch_database(self.stores.join_global_database(primary.stores), replicates_from=primary.region)
        self._outputs(self.stores.database_outputs())

    def _outputs(self, outputs: dict[str, tuple[str, str]]) -> None:
        for name, (value, description) in outputs.items():
            self.output(name, value, description)


def _declare_network_outputs(stack: MeridianStack, network: Network) -> None:
    """The network's contract with the stacks and tools that build on it (DC-10)."""
    where = f"in {stack.region}"
    stack.output("vpc_id", network.vpc_id, f"ID of the VPC {where}")
    stack.output("vpc_cidr", network.cidr, f"Address range of the VPC {where}")
    stack.output("availability_zone_ids", network.availability_zone_ids, f"Zone IDs of the VPC's three AZs {where}")
    for tier, holds in TIERS.items():
        stack.output(
            f"{tier}_subnet_ids", network.subnet_ids(tier), f"{tier.title()} subnets ({holds}) {where}, one per AZ"
        )
    stack.output("public_route_table_id", network.public_route_table_id, f"Route table of the public subnets {where}")
    stack.output(
        "private_route_table_ids",
        network.private_route_table_ids,
        f"Route tables of the private subnets {where}, one per AZ",
    )
    stack.output(
        "database_route_table_ids",
        network.database_route_table_ids,
        f"Route tables of the database subnets {where}, one per AZ, with no route to the internet",
    )
    stack.output("nat_ids", network.nat.ids, f"NAT {network.nat.mode} {where}, one per AZ")
    stack.output("vpc_endpoint_ids", network.endpoints.ids, f"VPC endpoint IDs by AWS service {where}")
    stack.output(
        "endpoint_security_group_id",
        network.endpoints.security_group.id,
        f"Security group of the interface VPC endpoints {where}",
    )
    if isinstance(network.nat, NatInstances):
        stack.output(
            "nat_security_group_id", network.nat.security_group.id, f"Security group of the NAT instances {where}"
        )
    stack.output("flow_log_group_name", network.flow_logs.log_group.name, f"Log group of the VPC flow logs {where}")
