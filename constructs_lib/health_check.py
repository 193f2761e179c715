"""A Route 53 HTTPS health check on one region's health path (EDGE-4, DC-3).

Route 53's checkers, spread over several AWS regions, request `https://<fqdn><path>` every
`interval_seconds`; after `failure_threshold` failures in a row the check turns unhealthy and every
failover record that names it (`health_check_id`) stops answering. The checkers send no custom
header, which is why the load balancers answer the health path without the origin header.

    check = HttpsHealthCheck(self, "health", HttpsHealthCheckProps(name, fqdn=f"origin.{region}.pay.example.org"))
    FailoverAlias(..., health_check=check)      # check.id
    check.detection_seconds                     # interval x threshold: how long a failure goes unnoticed
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from constructs import Construct

INTERVALS = (10, 30)  # the only request intervals Route 53 offers


@dataclass(frozen=True)
class HttpsHealthCheckProps:
    name: str  # the Name tag the console shows
    fqdn: str  # the host checked (and sent as SNI and Host)
    path: str = "/health"
    interval_seconds: int = 30
    failure_threshold: int = 3

    def __post_init__(self) -> None:
        if self.interval_seconds not in INTERVALS:
            raise ValueError(f"health check {self.name}: interval {self.interval_seconds} s; allowed: 10 or 30")
        if not 1 <= self.failure_threshold <= 10:
            raise ValueError(f"health check {self.name}: failure threshold {self.failure_threshold}; allowed: 1 to 10")
        if not self.path.startswith("/"):
            raise ValueError(f"health check {self.name}: path {self.path!r}; allowed: a path like /health")


class HttpsHealthCheck(Construct):
    def __init__(self, scope: Construct, id_: str, props: HttpsHealthCheckProps) -> None:
        super().__init__(scope, id_)
        self.fqdn = props.fqdn
        self.detection_seconds = props.interval_seconds * props.failure_threshold
        self._check = Route53HealthCheck(
            self,
            "check",
            type="HTTPS",
            fqdn=props.fqdn,
            port=443,
            resource_path=props.path,
            enable_sni=True,  # the load balancer picks its certificate by SNI
            request_interval=props.interval_seconds,
            failure_threshold=props.failure_threshold,
            tags={"Name": props.name},
        )

    @property
    def id(self) -> str:
        return self._check.id
