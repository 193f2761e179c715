"""The regional network: a three-tier VPC over three AZs, NAT per AZ, VPC endpoints, flow logs (NET-1..NET-5).

How to use it (the data tier, the service runtime and the Lambda functions build on this face):

    network = stack.network                       # one per regional stack
    network.vpc_id, network.cidr, network.availability_zone_ids
    network.subnet_ids("database")                # or .public_subnet_ids / .private_subnet_ids / .database_subnet_ids
    network.private_route_table_ids, network.database_route_table_ids, network.public_route_table_id

    db = network.security_tier(self, "security", "database", "Aurora PostgreSQL cluster")
    db.allow_from(app, 5432, "Payment service to PostgreSQL")   # see constructs_lib/security_tier.py
    network.allow_aws_apis(app)                   # HTTPS egress to the VPC endpoints (ECR, logs, secrets, ...)
    EcsService(..., depends_on=network.endpoints.dependables)

    network.nat.ids, network.endpoints.ids, network.flow_logs.log_group   # for outputs and alarms

Tiers: public (load balancers, NAT; one route table, default route to the internet gateway), private
(application; one route table per AZ whose default route is that AZ's NAT) and database (isolated;
one route table per AZ with no route to the internet in either NAT mode). S3 and DynamoDB are reached
from private and database subnets through gateway endpoints. The default security group is taken
over and left without rules, so nothing can use it by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct

from constructs_lib.flow_logs import FlowLogs, FlowLogsProps
from constructs_lib.log_group import LogSettings
from constructs_lib.naming import Naming
from constructs_lib.nat import ANYWHERE, NatGateways, NatInstances, NatInstancesProps, NatMode, NatProps
from constructs_lib.security_tier import SecurityTier, SecurityTierProps
from constructs_lib.vpc_endpoints import VpcEndpoints, VpcEndpointsProps

Tier = Literal["public", "private", "database"]
TIERS: dict[Tier, str] = {  # tier -> what its subnets hold
    "public": "load balancers and NAT",
    "private": "application",
    "database": "isolated data stores",
}


@dataclass(frozen=True)
class NetworkProps:
    naming: Naming
    account_id: str
    region: str
    availability_zone_ids: Sequence[str]  # zone IDs (use1-az1) from config: the same physical AZ in every account
    vpc_cidr: str
    public_subnets: Sequence[str]  # one CIDR per AZ, in the order of availability_zone_ids
    private_subnets: Sequence[str]
    database_subnets: Sequence[str]
    logs: LogSettings  # the flow-log group's key and retention
    nat_mode: NatMode = "gateways"

    def __post_init__(self) -> None:
        for tier in TIERS:
            if len(self.cidrs(tier)) != len(self.availability_zone_ids):
                raise ValueError(
                    f"{tier} subnets: {len(self.cidrs(tier))} CIDRs for {len(self.availability_zone_ids)} AZs; "
                    "allowed: one subnet per AZ"
                )

    def cidrs(self, tier: Tier) -> Sequence[str]:
        return {"public": self.public_subnets, "private": self.private_subnets, "database": self.database_subnets}[tier]


class Network(Construct):
    def __init__(self, scope: Construct, id_: str, props: NetworkProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        naming = props.naming
        self.cidr = props.vpc_cidr
        self.availability_zone_ids = list(props.availability_zone_ids)
        self._vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.vpc_cidr,
            enable_dns_support=True,  # private DNS of the interface endpoints needs both
            enable_dns_hostnames=True,
            tags={"Name": naming.name("vpc")},
        )
        # Attribute tokens are read once and kept: each read is a round trip to the jsii runtime.
        self.vpc_id: str = self._vpc.id
        DefaultSecurityGroup(self, "default-security-group", vpc_id=self.vpc_id, tags={"Name": naming.name("unused")})
        internet_gateway = InternetGateway(self, "internet-gateway", vpc_id=self.vpc_id, tags={"Name": naming.name()})
        self._subnet_ids = {tier: [subnet.id for subnet in self._tier_subnets(tier)] for tier in TIERS}

        self.public_route_table_id = self._route_table("public", "public", self.public_subnet_ids)
        Route(
            self,
            "public-internet",
            route_table_id=self.public_route_table_id,
            destination_cidr_block=ANYWHERE,
            gateway_id=internet_gateway.id,
        )

        nat_props = NatProps(naming, self.public_subnet_ids, internet_gateway)
        self.nat: NatGateways | NatInstances = (
            NatGateways(self, "nat", nat_props)
            if props.nat_mode == "gateways"
            else NatInstances(self, "nat", NatInstancesProps(nat_props, self.vpc_id, list(props.private_subnets)))
        )
        self.private_route_table_ids: list[str] = []
        for index, subnet_id in enumerate(self.private_subnet_ids):
            table_id = self._route_table(f"private-{index + 1}", "private", [subnet_id])
            self.nat.add_default_route(self, f"private-{index + 1}-internet", table_id, index)
            self.private_route_table_ids.append(table_id)
        # No route to the internet here: the database tier is isolated in both NAT modes.
        self.database_route_table_ids = [
            self._route_table(f"database-{index + 1}", "database", [subnet_id])
            for index, subnet_id in enumerate(self.database_subnet_ids)
        ]

        self.endpoints = VpcEndpoints(
            self,
            "endpoints",
            VpcEndpointsProps(
                naming=naming,
                region=props.region,
                vpc_id=self.vpc_id,
                vpc_cidr=props.vpc_cidr,
                interface_subnet_ids=self.private_subnet_ids,
                gateway_route_table_ids=[*self.private_route_table_ids, *self.database_route_table_ids],
            ),
        )
        self.flow_logs = FlowLogs(
            self,
            "flow-logs",
            FlowLogsProps(naming, self.vpc_id, props.logs, props.account_id, props.region),
        )

    def subnet_ids(self, tier: Tier) -> list[str]:
        return list(self._subnet_ids[tier])

    @property
    def public_subnet_ids(self) -> list[str]:
        return self.subnet_ids("public")

    @property
    def private_subnet_ids(self) -> list[str]:
        return self.subnet_ids("private")

    @property
    def database_subnet_ids(self) -> list[str]:
        return self.subnet_ids("database")

    def security_tier(
        self, scope: Construct, id_: str, purpose: str, description: str, *, internet_facing: bool = False
    ) -> SecurityTier:
        """A new security group in this VPC, named `<project>-<purpose>-<env>`, with no rules yet."""
        return SecurityTier(
            scope,
            id_,
            SecurityTierProps(
                name=self._props.naming.name(purpose),
                description=description,
                vpc_id=self.vpc_id,
                internet_facing=internet_facing,
            ),
        )

    def allow_aws_apis(self, tier: SecurityTier) -> None:
        """`tier` may call AWS APIs through the VPC endpoints (HTTPS to the interface and gateway endpoints)."""
        self.endpoints.allow_clients(tier)

    def _tier_subnets(self, tier: Tier) -> list[Subnet]:
        return [
            Subnet(
                self,
                f"{tier}-{az}",
                vpc_id=self.vpc_id,
                cidr_block=cidr,
                availability_zone_id=zone_id,
                tags={"Name": self._props.naming.name(tier, str(az)), "Tier": tier},
            )
            for az, (cidr, zone_id) in enumerate(
                zip(self._props.cidrs(tier), self.availability_zone_ids, strict=True), 1
            )
        ]

    def _route_table(self, id_: str, tier: Tier, subnet_ids: list[str]) -> str:
        """A route table of `tier` associated with `subnet_ids`; returns its ID."""
        table = RouteTable(
            self, f"{id_}-routes", vpc_id=self.vpc_id, tags={"Name": self._props.naming.name(id_), "Tier": tier}
        )
        table_id = table.id
        for index, subnet_id in enumerate(subnet_ids, 1):
            RouteTableAssociation(self, f"{id_}-routes-{index}", route_table_id=table_id, subnet_id=subnet_id)
        return table_id
