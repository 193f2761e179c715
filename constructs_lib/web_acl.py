"""A WAFv2 web ACL: AWS managed rule groups, a per-client rate limit, and logging (SEC-8, OPS-1).

Rules, in the order WAF evaluates them: the IP reputation and anonymous-IP lists (known bad
sources, Tor and open proxies are dropped before anything else is spent on them; hosting
providers are only counted), the rate limit per client address, then the common,
known-bad-inputs (Log4j and friends) and SQL injection groups. Every rule and the ACL publish
CloudWatch metrics and sampled requests. Logs go to a CMK-encrypted log group whose name starts
with `aws-waf-logs-` (WAF accepts no other) and keeps the one retention setting.

The scope is a prop: REGIONAL for the load balancer and API Gateway (`associate(arn)`), CLOUDFRONT
for the distribution (attached by the distribution's `web_acl_id = acl.arn`). WAF keeps CLOUDFRONT
ACLs and their log groups in CloudFront's home region, so that one is built in a stack whose
provider is in that region, with that region's logs key.

Whose address the rate limit counts is a prop too. An ACL on what clients connect to themselves
(CloudFront, an API stage) counts the connection's address (`IP`). An ACL behind relays (the load
balancer, reached only through CloudFront and API Gateway) would count a relay's address as one
client and throttle everyone behind it at once, so it names the header the relays write the client's
address into (`client_address_header`) and WAF counts the first address there (`FORWARDED_IP`).
A client may forge that first address (CloudFront appends the viewer's address to any value the
client sent); that only escapes this inner limit, never the edges' own per-address limits. WAF does
not apply the rule to a request without the header, and one whose first entry is no valid address
is not counted either (`NO_MATCH`): the edges counted both. The one path such a resource also
answers to direct requests (`unrelayed_path`, the Route 53 health checks') is therefore limited per
connecting address by a rule of its own, so nobody can flood it uncounted.

    acl = WebAcl(self, "waf", WebAclProps(naming, "alb", logs, client_address_header=FORWARDED_FOR, unrelayed_path="/health"))
    acl.associate("alb", load_balancer.arn)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl, Wafv2WebAclRule
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
)
from constructs import Construct

from constructs_lib.log_group import EncryptedLogGroup, EncryptedLogGroupProps, LogSettings
from constructs_lib.naming import Naming
from constructs_lib.policy import statement_id

# AWS managed rule groups, in evaluation order after the rate limit.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
# Tor exits, VPNs and open proxies are blocked; its hosting-provider rule only counts, because
# merchants' own servers call the payment API from cloud hosting.
ANONYMOUS_IP = "AWSManagedRulesAnonymousIpList"
COUNT_ONLY = {ANONYMOUS_IP: ("HostingProviderIPList",)}
# Route 53's checkers request the health path without the relays' header, each address at most once
# per 10 s interval (30 per 5 minutes per health check); anyone else can too, and that path reaches the
# service's PostgreSQL and Redis checks. Counted per connecting address, this leaves the checkers
# thirtyfold headroom and caps one address at about 3 requests a second.
UNRELAYED_REQUESTS_PER_5_MINUTES = 1000
# Where CloudFront writes the viewer's address on requests to its origins (appended to any value the
# client sent); API Gateway's HTTP proxy integrations pass the caller's headers on to the backend.
FORWARDED_FOR = "X-Forwarded-For"


@dataclass(frozen=True)
class WebAclProps:
    naming: Naming
    purpose: str  # what the ACL protects, e.g. "alb", "api", "cdn": names the ACL and its log group
    logs: LogSettings
    scope: Literal["REGIONAL", "CLOUDFRONT"] = "REGIONAL"
    requests_per_5_minutes: int = 2000  # per client address; beyond it requests are blocked
    # None: clients connect themselves, the connection's address is the client's. A header name: the
    # protected resource is reached through relays that write the client's address first in it.
    client_address_header: str | None = None
    # Behind relays: a path the resource also answers to direct requests (the health checks'); those
    # carry no relayed address, so they are counted per connecting address.
    unrelayed_path: str | None = None

    def __post_init__(self) -> None:
        if not 10 <= self.requests_per_5_minutes <= 2_000_000_000:
            raise ValueError(
                f"web ACL {self.purpose}: rate limit {self.requests_per_5_minutes}; allowed: 10 to 2000000000"
            )


class WebAcl(Construct):
    def __init__(self, scope: Construct, id_: str, props: WebAclProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        name = props.naming.name(props.purpose)
        self._acl = Wafv2WebAcl(
            self,
            "acl",
            name=name,
            description=f"{props.scope.lower()} protection of {props.purpose}: managed rules and a rate limit",
            scope=props.scope,
            default_action={"allow": {}},
            visibility_config=_visibility(name),
            rule=_rules(props, name),
        )
        self.log_group = EncryptedLogGroup(self, "logs", EncryptedLogGroupProps(f"aws-waf-logs-{name}", props.logs))
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self._acl.arn,
            log_destination_configs=[self.log_group.arn],
            # request headers that carry credentials never reach the logs
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(single_header={"name": header})
                for header in ("authorization", "cookie")
            ],
        )

    @property
    def arn(self) -> str:
        return self._acl.arn

    def associate(self, label: str, resource_arn: str) -> None:
        """Protect a regional resource (a load balancer, an API Gateway stage) with this ACL."""
        if self._props.scope != "REGIONAL":
            raise ValueError(f"web ACL {self._props.purpose}: a CLOUDFRONT ACL is attached by the distribution")
        Wafv2WebAclAssociation(self, f"protects-{label}", resource_arn=resource_arn, web_acl_arn=self.arn)


def _visibility(metric: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": statement_id(metric), "sampled_requests_enabled": True}


def _managed_group(group: str) -> dict:
    statement: dict = {"name": group, "vendor_name": "AWS"}
    counted = COUNT_ONLY.get(group, ())
    if counted:
        statement["rule_action_override"] = [{"name": rule, "action_to_use": {"count": {}}} for rule in counted]
    return statement


def _rules(props: WebAclProps, acl_name: str) -> list[Wafv2WebAclRule]:
    def managed(priority: int, group: str) -> Wafv2WebAclRule:
        return Wafv2WebAclRule(
            name=group,
            priority=priority,
            override_action={"none": {}},  # the group's own actions (block) apply
            statement={"managed_rule_group_statement": _managed_group(group)},
            visibility_config=_visibility(f"{acl_name}-{group}"),
        )

    rate = Wafv2WebAclRule(
        name="RateLimitPerClient" if props.client_address_header is None else "RateLimitPerForwardedClient",
        priority=2,
        action={"block": {}},
        statement={"rate_based_statement": _rate_statement(props)},
        visibility_config=_visibility(f"{acl_name}-rate-limit"),
    )
    rates = [rate]
    if props.unrelayed_path is not None:
        rates.append(
            Wafv2WebAclRule(
                name="RateLimitUnrelayedPathPerAddress",
                priority=3,
                action={"block": {}},
                statement={"rate_based_statement": _unrelayed_path_statement(props.unrelayed_path)},
                visibility_config=_visibility(f"{acl_name}-unrelayed-rate-limit"),
            )
        )
    first_group = 2 + len(rates)
    groups = [managed(priority, group) for priority, group in enumerate(MANAGED_RULE_GROUPS, start=first_group)]
    return [managed(0, IP_REPUTATION), managed(1, ANONYMOUS_IP), *rates, *groups]


def _unrelayed_path_statement(path: str) -> dict:
    return {
        "limit": UNRELAYED_REQUESTS_PER_5_MINUTES,
        "aggregate_key_type": "IP",
        "scope_down_statement": {
            "byte_match_statement": {
                "search_string": path,
                "field_to_match": {"uri_path": {}},
                "positional_constraint": "EXACTLY",
                "text_transformation": [{"priority": 0, "type": "NONE"}],
            }
        },
    }


def _rate_statement(props: WebAclProps) -> dict:
    if props.client_address_header is None:
        return {"limit": props.requests_per_5_minutes, "aggregate_key_type": "IP"}
    return {
        "limit": props.requests_per_5_minutes,
        "aggregate_key_type": "FORWARDED_IP",
        "forwarded_ip_config": {"header_name": props.client_address_header, "fallback_behavior": "NO_MATCH"},
    }
