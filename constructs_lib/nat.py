"""Egress of the private subnets, one NAT per AZ so losing an AZ never cuts the others off (NET-2).

`NatGateways` (the default) puts a managed NAT gateway with its Elastic IP in each public subnet.
`NatInstances` (config `nat_mode: instances`, the cost mode) puts one small Amazon Linux 2023
instance in each public subnet instead, and makes it really route, which is where the seeds' NAT
instances failed: source/destination check off, IP forwarding and masquerading switched on by user
data and kept across reboots, and a security group that admits only the private subnets.

Both answer the same two questions for `Network`: `add_default_route(scope, id, route_table_id, az)`
sends a private route table's 0.0.0.0/0 to that AZ's NAT, and `.ids` names the NATs for outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.instance import Instance
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.network_interface import NetworkInterface
from cdktf_cdktf_provider_aws.route import Route
from constructs import Construct

from constructs_lib.naming import Naming
from constructs_lib.security_tier import SecurityTier, SecurityTierProps

NatMode = Literal["gateways", "instances"]
ANYWHERE = "0.0.0.0/0"

# Amazon Linux 2023's public SSM parameter: AWS keeps it pointing at the current AMI of the region.
AMAZON_LINUX_2023_ARM64 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"

# Boot script of a NAT instance. The Elastic IP is on the network interface before the instance
# starts, so the package install reaches the internet (retried while the network comes up; the
# script fails visibly in the cloud-init log if it never does). Forwarding is a sysctl.d file and
# the MASQUERADE rule is saved where the enabled iptables service restores it: both survive a reboot.
NAT_USER_DATA = """#!/bin/bash
set -euo pipefail
for _ in $(seq 30); do dnf install -y iptables-services && break; sleep 10; done
rpm -q iptables-services
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl --system
outside=$(ip -o -4 route show to default | awk '{print $5}')
iptables -t nat -A POSTROUTING -o "$outside" -j MASQUERADE
iptables-save > /etc/sysconfig/iptables
systemctl enable --now iptables
"""


@dataclass(frozen=True)
class NatProps:
    naming: Naming
    public_subnet_ids: Sequence[str]  # one per AZ: where each AZ's NAT lives
    internet_gateway: ITerraformDependable  # a NAT is useless, and NAT gateways fail, before it is attached


class NatGateways(Construct):
    mode: NatMode = "gateways"

    def __init__(self, scope: Construct, id_: str, props: NatProps) -> None:
        super().__init__(scope, id_)
        self.ids: list[str] = []  # one per AZ, in the order of the public subnets
        for az, subnet_id in enumerate(props.public_subnet_ids, 1):
            name = props.naming.name("nat", str(az))
            address = Eip(self, f"address-{az}", domain="vpc", tags={"Name": name})
            gateway = NatGateway(
                self,
                f"gateway-{az}",
                allocation_id=address.allocation_id,
                subnet_id=subnet_id,
                tags={"Name": name},
                depends_on=[props.internet_gateway],
            )
            self.ids.append(gateway.id)

    def add_default_route(self, scope: Construct, id_: str, route_table_id: str, az: int) -> Route:
        """0.0.0.0/0 of a route table in AZ number `az` (0-based) through that AZ's NAT gateway."""
        return Route(
            scope, id_, route_table_id=route_table_id, destination_cidr_block=ANYWHERE, nat_gateway_id=self.ids[az]
        )


@dataclass(frozen=True)
class NatInstancesProps:
    nat: NatProps
    vpc_id: str
    private_subnet_cidrs: Sequence[str]  # the only sources the NAT forwards for
    egress_ports: Sequence[int] = (443,)  # what the private subnets may reach on the internet through it
    instance_type: str = "t4g.nano"  # Graviton, matching the arm64 image parameter below
    image_parameter: str = AMAZON_LINUX_2023_ARM64


class NatInstances(Construct):
    mode: NatMode = "instances"

    def __init__(self, scope: Construct, id_: str, props: NatInstancesProps) -> None:
        super().__init__(scope, id_)
        naming = props.nat.naming
        self.security_group = SecurityTier(
            self,
            "security",
            SecurityTierProps(
                name=naming.name("nat"),
                description="NAT instances: forward the private subnets' traffic to the internet",
                vpc_id=props.vpc_id,
            ),
        )
        for port in props.egress_ports:
            self.security_group.allow_from_cidrs(
                props.private_subnet_cidrs, port, f"Private subnets to the internet on {port} through the NAT"
            )
            self.security_group.allow_egress_to_cidrs([ANYWHERE], port, f"Forwarded traffic to the internet on {port}")
        image_id = DataAwsSsmParameter(self, "image", name=props.image_parameter).insecure_value
        self._interface_ids: list[str] = []
        self.ids: list[str] = []  # instance IDs, one per AZ
        for az, subnet_id in enumerate(props.nat.public_subnet_ids, 1):
            name = naming.name("nat", str(az))
            interface_id = NetworkInterface(
                self,
                f"interface-{az}",
                subnet_id=subnet_id,
                security_groups=[self.security_group.id],
                source_dest_check=False,  # it forwards packets that are neither from nor for itself
                description=f"{name}: NAT instance interface, the private route tables' next hop",
                tags={"Name": name},
            ).id
            address = Eip(
                self,
                f"address-{az}",
                domain="vpc",
                network_interface=interface_id,
                tags={"Name": name},
                depends_on=[props.nat.internet_gateway],
            )
            self._interface_ids.append(interface_id)
            self.ids.append(
                Instance(
                    self,
                    f"instance-{az}",
                    ami=image_id,  # insecure_value: a public AMI ID, not a secret, so plans stay readable
                    instance_type=props.instance_type,
                    primary_network_interface={"network_interface_id": interface_id},
                    metadata_options={"http_endpoint": "enabled", "http_tokens": "required"},
                    root_block_device={"encrypted": True, "volume_type": "gp3", "delete_on_termination": True},
                    monitoring=True,
                    ebs_optimized=True,
                    user_data=NAT_USER_DATA,
                    user_data_replace_on_change=True,
                    tags={"Name": name},
                    depends_on=[address],  # the public address exists when the boot script runs
                ).id
            )

    def add_default_route(self, scope: Construct, id_: str, route_table_id: str, az: int) -> Route:
        """0.0.0.0/0 of a route table in AZ number `az` (0-based) to that AZ's NAT instance's interface."""
        return Route(
            scope,
            id_,
            route_table_id=route_table_id,
            destination_cidr_block=ANYWHERE,
            network_interface_id=self._interface_ids[az],
        )
