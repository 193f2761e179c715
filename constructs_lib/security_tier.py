"""Security-group tiers: who may talk to whom, said once, least privilege (NET-5).

How to use (a stack or a construct that owns a tier; `network.security_tier(...)` makes one in the VPC):

    alb = network.security_tier(self, "alb-security", "alb", "Public load balancer", internet_facing=True)
    app = network.security_tier(self, "app-security", "app", "Payment service tasks")
    db = network.security_tier(self, "db-security", "database", "Aurora PostgreSQL")
    alb.allow_from_internet(443, "HTTPS from clients")
    app.allow_from(alb, 8080, "ALB to the payment service")   # app ingress from alb AND alb egress to app
    db.allow_from(app, 5432, "Payment service to PostgreSQL")
    network.allow_aws_apis(app)                                # egress 443 to the VPC endpoints
    cluster.vpc_security_group_ids = [db.id]

Every group and every rule carries a description; rules are the provider's per-rule resources
(`aws_vpc_security_group_ingress_rule` / `_egress_rule`), never inline blocks, so adding one never
rewrites the others. A new group has no rule at all (Terraform removes AWS's default allow-all
egress), so each tier's egress is exactly the traffic its `allow_*` calls name. The only way to
admit 0.0.0.0/0 is `allow_from_internet`, on a tier created `internet_facing`, for 443 and 80;
groups are tagged `Exposure: internet | internal` so audits can tell them apart. Asking twice for
the same rule creates it once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

Protocol = Literal["tcp", "udp"]
INTERNET_PORTS = (443, 80)  # HTTPS, and HTTP only so the load balancer can redirect it to HTTPS
_ANYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class SecurityTierProps:
    name: str  # physical group name, with the environment suffix
    description: str  # what sits in this tier
    vpc_id: str
    internet_facing: bool = False  # only such a tier may admit the internet, and only on INTERNET_PORTS

    def __post_init__(self) -> None:
        if not self.description.strip():
            raise ValueError(f"security group {self.name}: a description is required")


class SecurityTier(Construct):
    def __init__(self, scope: Construct, id_: str, props: SecurityTierProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._rules: set[str] = set()
        self._group = SecurityGroup(
            self,
            "group",
            name=props.name,
            description=props.description,
            vpc_id=props.vpc_id,
            tags={"Name": props.name, "Exposure": "internet" if props.internet_facing else "internal"},
        )
        self._id = self._group.id  # read once: every rule names it

    @property
    def id(self) -> str:
        """The security group ID, for `vpc_security_group_ids` and the like."""
        return self._id

    @property
    def arn(self) -> str:
        return self._group.arn

    @property
    def name(self) -> str:
        return self.props.name

    def allow_from(self, peer: SecurityTier, port: int, description: str, protocol: Protocol = "tcp") -> None:
        """`peer` may open connections to this tier on `port`: ingress here and the matching egress on `peer`."""
        self._ingress(f"from-{peer.name}", port, protocol, description, _Target(group_id=peer.id))
        peer.allow_egress_to(self, port, description, protocol)

    def allow_from_cidrs(self, cidrs: Sequence[str], port: int, description: str, protocol: Protocol = "tcp") -> None:
        """Ingress from address ranges inside the network (the VPC, the private subnets)."""
        for cidr in cidrs:
            if cidr in _ANYWHERE:
                raise ValueError(
                    f"security group {self.name}: {cidr} is the whole internet; allowed: allow_from_internet "
                    f"on an internet-facing tier, ports {', '.join(map(str, INTERNET_PORTS))}"
                )
            self._ingress(f"from-{cidr}", port, protocol, description, _Target(cidr_ipv4=_network(cidr)))

    def allow_from_internet(self, port: int, description: str) -> None:
        """Clients anywhere (IPv4) may connect: only an internet-facing tier, only on 443 and 80."""
        if not self.props.internet_facing or port not in INTERNET_PORTS:
            raise ValueError(
                f"security group {self.name}: internet ingress on port {port} refused; allowed: ports "
                f"{', '.join(map(str, INTERNET_PORTS))} on a tier created with internet_facing=True"
            )
        self._ingress("from-internet", port, "tcp", description, _Target(cidr_ipv4=_ANYWHERE[0]))

    def allow_egress_to(self, peer: SecurityTier, port: int, description: str, protocol: Protocol = "tcp") -> None:
        """Egress only, to a tier that already admits this one (e.g. the endpoints admit the whole VPC)."""
        self._egress(f"to-{peer.name}", port, protocol, description, _Target(group_id=peer.id))

    def allow_egress_to_cidrs(
        self, cidrs: Sequence[str], port: int, description: str, protocol: Protocol = "tcp"
    ) -> None:
        """Egress to address ranges, e.g. the internet on 443 through a NAT."""
        for cidr in cidrs:
            self._egress(f"to-{cidr}", port, protocol, description, _Target(cidr_ipv4=_network(cidr)))

    def allow_egress_to_prefix_list(
        self, prefix_list_id: str, label: str, port: int, description: str, protocol: Protocol = "tcp"
    ) -> None:
        """Egress to an AWS-managed prefix list (a gateway endpoint's S3 or DynamoDB ranges); `label` names it."""
        self._egress(f"to-{label}", port, protocol, description, _Target(prefix_list_id=prefix_list_id))

    def _ingress(self, peer: str, port: int, protocol: str, description: str, target: _Target) -> None:
        self._rule(
            VpcSecurityGroupIngressRule, f"in-{_rule_id(peer, protocol, port)}", port, protocol, description, target
        )

    def _egress(self, peer: str, port: int, protocol: str, description: str, target: _Target) -> None:
        self._rule(
            VpcSecurityGroupEgressRule, f"out-{_rule_id(peer, protocol, port)}", port, protocol, description, target
        )

    def _rule(
        self,
        kind: type[VpcSecurityGroupIngressRule] | type[VpcSecurityGroupEgressRule],
        rule: str,
        port: int,
        protocol: str,
        description: str,
        target: _Target,
    ) -> None:
        if not description.strip():
            raise ValueError(f"security group {self.name}: rule {rule} needs a description")
        if rule in self._rules:
            return  # asked for twice: one rule
        self._rules.add(rule)
        kind(
            self,
            rule,
            security_group_id=self.id,
            description=description,
            ip_protocol=protocol,
            from_port=_port(port),
            to_port=port,
            cidr_ipv4=target.cidr_ipv4,
            referenced_security_group_id=target.group_id,
            prefix_list_id=target.prefix_list_id,
        )


@dataclass(frozen=True)
class _Target:
    """The other end of a rule: exactly one of an address range, a security group, a prefix list."""

    cidr_ipv4: str | None = None
    group_id: str | None = None
    prefix_list_id: str | None = None


def _port(port: int) -> int:
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is not a TCP/UDP port; allowed: 1-65535")
    return port


def _network(cidr: str) -> str:
    """Refuse a malformed range here, at synth, rather than at apply."""
    if "${" not in cidr:
        ipaddress.IPv4Network(cidr, strict=True)
    return cidr


def _rule_id(peer: str, protocol: str, port: int) -> str:
    return f"{re.sub(r'[^A-Za-z0-9-]+', '-', peer)}-{protocol}{port}"
