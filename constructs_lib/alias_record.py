"""Route 53 alias records, plain or in a failover pair (EDGE-4, DC-3).

Every name that points at an AWS endpoint (load balancer, API Gateway domain, CloudFront) is an
alias record: Route 53 answers with the endpoint's current addresses, never an A record holding a
DNS name. A failover record carries its role and the health check of the region it points to:

    AliasRecord(self, "api", AliasRecordProps(zone_id, "api.pay.example.org",
        AliasTarget(api.regional_domain_name, api.regional_zone_id),
        failover=Failover("PRIMARY", set_identifier=region, health_check=check)))

Route 53 answers the PRIMARY record while its health check passes, else the SECONDARY one. The
set identifier names the region, not the role, so a planned switch (the roles trade places) updates
both records in place instead of replacing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from cdktf_cdktf_provider_aws.route53_record import (
    Route53Record,
    Route53RecordAlias,
    Route53RecordFailoverRoutingPolicy,
)
from constructs import Construct

FailoverRole = Literal["PRIMARY", "SECONDARY"]


class HealthCheckRef(Protocol):
    @property
    def id(self) -> str: ...


@dataclass(frozen=True)
class AliasTarget:
    """An AWS endpoint's DNS name and the hosted zone AWS keeps it in."""

    dns_name: str
    zone_id: str
    evaluate_target_health: bool = False  # the record's own health check decides (failover records)


@dataclass(frozen=True)
class Failover:
    role: FailoverRole
    set_identifier: str  # the region the record points to
    health_check: HealthCheckRef  # the health check of that region: no failover record without one


@dataclass(frozen=True)
class AliasRecordProps:
    zone_id: str
    name: str
    target: AliasTarget
    failover: Failover | None = None
    record_types: tuple[Literal["A", "AAAA"], ...] = ("A",)  # AAAA as well for dual-stack targets


class AliasRecord(Construct):
    def __init__(self, scope: Construct, id_: str, props: AliasRecordProps) -> None:
        super().__init__(scope, id_)
        self.name = props.name
        failover = props.failover
        for record_type in props.record_types:
            Route53Record(
                self,
                record_type.lower(),
                zone_id=props.zone_id,
                name=props.name,
                type=record_type,
                alias=Route53RecordAlias(
                    name=props.target.dns_name,
                    zone_id=props.target.zone_id,
                    evaluate_target_health=props.target.evaluate_target_health,
                ),
                set_identifier=failover.set_identifier if failover else None,
                failover_routing_policy=Route53RecordFailoverRoutingPolicy(type=failover.role) if failover else None,
                health_check_id=failover.health_check.id if failover else None,
            )
