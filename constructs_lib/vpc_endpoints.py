"""VPC endpoints: AWS APIs reached inside the VPC, not through the NATs and the internet (NET-3).

Gateway endpoints (S3, DynamoDB) are routes on the private and database route tables; interface
endpoints (private DNS on, so SDKs need no endpoint settings) sit in the private subnets behind one
security group that admits HTTPS from the VPC's own range and nothing else.

A tier that calls AWS APIs gets its egress with `allow_clients(tier)`; a resource that must not
start before the endpoints exist (an ECS service pulling from ECR) uses `depends_on=endpoints.dependables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from constructs_lib.naming import Naming
from constructs_lib.security_tier import SecurityTier, SecurityTierProps

HTTPS = 443

# Service name suffix (com.amazonaws.<region>.<suffix>) -> what goes through the endpoint.
GATEWAY_SERVICES: Mapping[str, str] = {
    "s3": "S3 objects, including ECR image layers",
    "dynamodb": "DynamoDB tables",
}
INTERFACE_SERVICES: Mapping[str, str] = {
    "ecr.api": "ECR API: image manifests and registry authorization",
    "ecr.dkr": "ECR registry: image pulls",
    "secretsmanager": "Secrets Manager: database credentials",
    "logs": "CloudWatch Logs: service and function logs",
    "kms": "KMS: the customer-managed keys",
    "sts": "STS: role credentials",
    "sns": "SNS: payment notifications and alerts",
    "kinesis-streams": "Kinesis Data Streams: payment events",
}


@dataclass(frozen=True)
class VpcEndpointsProps:
    naming: Naming
    region: str
    vpc_id: str
    vpc_cidr: str  # the only range the interface endpoints admit
    interface_subnet_ids: Sequence[str]  # the private subnets, one per AZ
    gateway_route_table_ids: Sequence[str]  # the private and database route tables
    gateway_services: Mapping[str, str] = field(default_factory=lambda: dict(GATEWAY_SERVICES))
    interface_services: Mapping[str, str] = field(default_factory=lambda: dict(INTERFACE_SERVICES))


class VpcEndpoints(Construct):
    def __init__(self, scope: Construct, id_: str, props: VpcEndpointsProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self.security_group = SecurityTier(
            self,
            "security",
            SecurityTierProps(
                name=props.naming.name("endpoints"),
                description="Interface VPC endpoints: AWS APIs for clients inside the VPC",
                vpc_id=props.vpc_id,
            ),
        )
        self.security_group.allow_from_cidrs([props.vpc_cidr], HTTPS, "HTTPS to AWS APIs from inside the VPC")
        self._group_ids = [self.security_group.id]
        self._gateways = {
            service: self._endpoint(service, purpose, vpc_endpoint_type="Gateway")
            for service, purpose in props.gateway_services.items()
        }
        self._interfaces = {
            service: self._endpoint(service, purpose, vpc_endpoint_type="Interface")
            for service, purpose in props.interface_services.items()
        }

    def _endpoint(self, service: str, purpose: str, *, vpc_endpoint_type: str) -> VpcEndpoint:
        label = service.replace(".", "-")
        gateway = vpc_endpoint_type == "Gateway"
        return VpcEndpoint(
            self,
            label,
            vpc_id=self._props.vpc_id,
            service_name=f"com.amazonaws.{self._props.region}.{service}",
            vpc_endpoint_type=vpc_endpoint_type,
            route_table_ids=list(self._props.gateway_route_table_ids) if gateway else None,
            subnet_ids=None if gateway else list(self._props.interface_subnet_ids),
            security_group_ids=None if gateway else self._group_ids,
            private_dns_enabled=None if gateway else True,
            tags={"Name": self._props.naming.name("endpoint", label), "Purpose": purpose},
        )

    @property
    def ids(self) -> dict[str, str]:
        """Endpoint IDs by service (s3, dynamodb, ecr.api, ...)."""
        return {service: endpoint.id for service, endpoint in {**self._gateways, **self._interfaces}.items()}

    @property
    def dependables(self) -> list[VpcEndpoint]:
        """Every endpoint, for `depends_on` of a resource that needs AWS APIs from its first minute."""
        return [*self._gateways.values(), *self._interfaces.values()]

    @property
    def prefix_list_ids(self) -> dict[str, str]:
        """The AWS address ranges behind each gateway endpoint (s3, dynamodb), for security-group egress."""
        return {service: endpoint.prefix_list_id for service, endpoint in self._gateways.items()}

    def allow_clients(self, tier: SecurityTier) -> None:
        """`tier` may call the AWS APIs: HTTPS to the interface endpoints and to S3 and DynamoDB."""
        tier.allow_egress_to(self.security_group, HTTPS, "HTTPS to AWS APIs through the interface endpoints")
        for service, prefix_list_id in self.prefix_list_ids.items():
            tier.allow_egress_to_prefix_list(
                prefix_list_id, service, HTTPS, f"HTTPS to {service} through its gateway endpoint"
            )
