"""The region's internet-facing Application Load Balancer in front of the payment service (APP-6, SEC-9, EDGE-3).

HTTPS only: the 443 listener terminates TLS 1.2+ with an issued ACM certificate covering the
ALB's `hostname` (origin.<region>.<domain>, the name CloudFront and Route 53 use), and the 80
listener does nothing but redirect to it. Invalid header fields are dropped, access logs go to
the ALB log bucket, deletion protection follows config (on in prod).

Only CloudFront gets in: the HTTPS listener's default answer is a fixed 403, and requests reach
the service only when they carry the secret origin header (`origin_header`, whose value CloudFront
sends). One exception: `GET <health_check_path>` is forwarded without it, because Route 53 health
checks, which probe each region for DNS failover, cannot send headers; the path answers only
whether the service is up.

Two target groups for blue/green: an origin-verified request is forwarded by weight, all of it to
`blue` (where the ECS service registers); one that also carries the blue/green header
(`X-Meridian-Release: green`) goes to `green`, where a release candidate is exercised before
weight moves to it. Both check the service's health path with a 10 s timeout and five failures
before a target counts as unhealthy.

    alb = PublicLoadBalancer(self, "alb", PublicLoadBalancerProps(...))
    alb.arn, alb.dns_name, alb.zone_id, alb.arn_suffix, alb.hostname   # outputs, alias records, metrics
    alb.security_group                                                  # the ALB tier
    alb.blue.arn, alb.blue.arn_suffix, alb.green.arn_suffix             # the ECS service registers into blue
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleActionForwardTargetGroup,
    LbListenerRuleCondition,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from constructs import Construct

from constructs_lib.certificate import Certificate
from constructs_lib.naming import Naming
from constructs_lib.origin_secret import OriginHeader

# TLS 1.3 and 1.2 with forward-secret AEAD ciphers only (no TLS 1.0/1.1, no CBC).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"


class SecurityGroupRef(Protocol):
    @property
    def id(self) -> str: ...


class AccessLogBucketRef(Protocol):
    """The ALB access-log bucket (constructs_lib/alb_logs.py): its name and the prefix ELB may write under."""

    @property
    def name(self) -> str: ...

    @property
    def prefix(self) -> str: ...


@dataclass(frozen=True)
class PublicLoadBalancerProps:
    naming: Naming
    hostname: str  # the name clients reach it by; the certificate covers it
    vpc_id: str
    subnet_ids: Sequence[str]  # the public subnets, one per AZ
    security_group: SecurityGroupRef  # the ALB tier; the stack opens 443/80 and the way to the app tier
    certificate: Certificate  # issued (DnsValidatedCertificate) or imported; never made up
    access_logs: AccessLogBucketRef
    target_port: int  # the container port behind both target groups
    health_check_path: str  # the target groups' check, and the one path answered without the origin header
    origin_header: OriginHeader  # every other request must carry it
    deletion_protection: bool
    blue_green_header: str = "X-Meridian-Release"
    blue_green_value: str = "green"
    idle_timeout_seconds: int = 60  # below the service's keep-alive, so the ALB closes idle connections first
    deregistration_delay_seconds: int = 30  # the container's stop timeout: in-flight requests finish
    # ELB checks at creation that it may write the access logs: pass the log bucket's policy here.
    depends_on: Sequence[ITerraformDependable] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if len(self.subnet_ids) < 2:
            raise ValueError("load balancer: at least two public subnets in different AZs; allowed: two or more")
        if not self.health_check_path.startswith("/"):
            raise ValueError(
                f"load balancer: health check path {self.health_check_path!r}; allowed: a path like /health"
            )


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    arn_suffix: str  # the CloudWatch dimension TargetGroup
    name: str


class PublicLoadBalancer(Construct):
    def __init__(self, scope: Construct, id_: str, props: PublicLoadBalancerProps) -> None:
        super().__init__(scope, id_)
        naming = props.naming
        self.hostname = props.hostname
        self.security_group = props.security_group
        self._lb = Lb(
            self,
            "alb",
            name=naming.name("alb"),
            internal=False,
            load_balancer_type="application",
            security_groups=[props.security_group.id],
            subnets=list(props.subnet_ids),
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=props.deletion_protection,
            idle_timeout=props.idle_timeout_seconds,
            access_logs={"bucket": props.access_logs.name, "prefix": props.access_logs.prefix, "enabled": True},
            depends_on=list(props.depends_on) or None,
        )
        self._arn: str = self._lb.arn  # read once: each read is a round trip to the jsii runtime
        self._arn_suffix: str = self._lb.arn_suffix
        self.blue = self._target_group("blue", props)
        self.green = self._target_group("green", props)
        https = LbListener(
            self,
            "https",
            load_balancer_arn=self._arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=props.certificate.arn,
            # without the origin header (not through CloudFront) nothing gets past this
            default_action=[
                LbListenerDefaultAction(
                    type="fixed-response",
                    fixed_response={"content_type": "text/plain", "message_body": "Forbidden", "status_code": "403"},
                )
            ],
        )
        LbListener(
            self,
            "http-redirect",
            load_balancer_arn=self._arn,
            port=80,
            protocol="HTTP",
            default_action=[
                LbListenerDefaultAction(
                    type="redirect", redirect={"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}
                )
            ],
        )
        self._https_arn: str = https.arn
        origin = LbListenerRuleCondition(
            http_header={"http_header_name": props.origin_header.name, "values": [props.origin_header.value]}
        )
        # Route 53 health checks send no headers: GET on the health path alone reaches blue without it.
        self._rule(
            "health-without-origin-header",
            1,
            [
                LbListenerRuleCondition(path_pattern={"values": [props.health_check_path]}),
                LbListenerRuleCondition(http_request_method={"values": ["GET"]}),
            ],
            LbListenerRuleAction(type="forward", target_group_arn=self.blue.arn),
        )
        self._rule(
            "green-by-header",
            10,
            [
                origin,
                LbListenerRuleCondition(
                    http_header={"http_header_name": props.blue_green_header, "values": [props.blue_green_value]}
                ),
            ],
            LbListenerRuleAction(type="forward", target_group_arn=self.green.arn),
        )
        self._rule(
            "origin-verified",
            20,
            [origin],
            LbListenerRuleAction(
                type="forward",
                forward={
                    # all production traffic to blue; shifting weight to green is the blue/green cut-over
                    "target_group": [
                        LbListenerRuleActionForwardTargetGroup(arn=self.blue.arn, weight=100),
                        LbListenerRuleActionForwardTargetGroup(arn=self.green.arn, weight=0),
                    ],
                    "stickiness": {"enabled": False, "duration": 1},
                },
            ),
        )

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def arn_suffix(self) -> str:
        """The CloudWatch dimension LoadBalancer."""
        return self._arn_suffix

    @property
    def dns_name(self) -> str:
        return self._lb.dns_name

    @property
    def zone_id(self) -> str:
        """The ALB's own hosted zone, for Route 53 alias records."""
        return self._lb.zone_id

    @property
    def https_listener_arn(self) -> str:
        return self._https_arn

    def _rule(
        self, id_: str, priority: int, conditions: list[LbListenerRuleCondition], action: LbListenerRuleAction
    ) -> None:
        LbListenerRule(
            self, id_, listener_arn=self._https_arn, priority=priority, condition=conditions, action=[action]
        )

    def _target_group(self, color: str, props: PublicLoadBalancerProps) -> TargetGroup:
        group = LbTargetGroup(
            self,
            color,
            name=props.naming.name(color),
            target_type="ip",  # Fargate tasks register by their ENI's address
            protocol="HTTP",  # inside the VPC, from the ALB's security group only
            port=props.target_port,
            vpc_id=props.vpc_id,
            deregistration_delay=str(props.deregistration_delay_seconds),
            health_check={
                "enabled": True,
                "path": props.health_check_path,
                "protocol": "HTTP",
                "port": "traffic-port",
                "matcher": "200",
                "interval": 30,
                "timeout": 10,
                "healthy_threshold": 2,
                "unhealthy_threshold": 5,
            },
            tags={"Release": color},
        )
        return TargetGroup(arn=group.arn, arn_suffix=group.arn_suffix, name=group.name)
