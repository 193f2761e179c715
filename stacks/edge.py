"""The entry points of one environment (EDGE-1..EDGE-5, SEC-8, DC-3, DC-10, OPS-1).

Each regional stack adds `RegionalEdge` on top of its runtime: the payment API on the client-facing
name `api.<domain>` (the same in both regions, each with its own regional certificate), its
truststore and logging role, behind its own regional web ACL (which limits each caller's address; the
runtime's ACL on the load balancer sees only relays) and sending the runtime's origin header; and, with a hosted zone, the load balancer's alias record `origin.<region>.<domain>`, an
HTTPS health check on that name's health path, and this region's failover record of
`api.<domain>`: PRIMARY in the active region (config edge.active_region, the primary by default),
SECONDARY in the other. The global stack adds CloudFront (`add_cdn`) with its pieces in
CloudFront's region, its origins in the active region's order, and its alias record. Without a
hosted zone there are no records and no health checks, and the certificates are the ones config names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs import Construct

from config import EnvironmentConfig
from config.model import CLOUDFRONT_REGION
from constructs_lib.alias_record import AliasRecord, AliasRecordProps, AliasTarget, Failover, FailoverRole
from constructs_lib.api_gateway_account import ApiGatewayAccount, ApiGatewayAccountProps
from constructs_lib.cdn import CdnOrigin, PaymentsCdn, PaymentsCdnProps
from constructs_lib.health_check import HttpsHealthCheck, HttpsHealthCheckProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.load_balancer import PublicLoadBalancer
from constructs_lib.log_group import LogSettings
from constructs_lib.naming import Naming
from constructs_lib.origin_secret import OriginHeaderReader
from constructs_lib.payment_api import PaymentApi, PaymentApiProps
from constructs_lib.payment_tasks import HEALTH_PATH
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from constructs_lib.truststore import Truststore, TruststoreProps
from constructs_lib.user_pool import UserPool
from constructs_lib.web_acl import WebAcl, WebAclProps
from stacks.base import MeridianStack
from stacks.region import RegionBasics
from stacks.runtime import Runtime, issued_certificate

if TYPE_CHECKING:
    from stacks.regional import RegionalStack


def failover_role(config: EnvironmentConfig, role: str) -> FailoverRole:
    return "PRIMARY" if config.active_role == role else "SECONDARY"


class RegionalEdge(Construct):
    def __init__(
        self,
        stack: MeridianStack,
        id_: str,
        basics: RegionBasics,
        *,
        user_pools: dict[str, UserPool],
        access_logs: SecureBucket,
        runtime: Runtime,
    ) -> None:
        """`stack`: the regional stack; its role decides this region's failover record (PRIMARY or SECONDARY)."""
        super().__init__(stack, id_)
        config, naming, region, keys, logs = basics.config, basics.naming, basics.region, basics.keys, basics.logs
        dns, edge = config.dns, config.edge
        self.region = region
        self.certificate = issued_certificate(self, config, region, dns.api_hostname)
        self.truststore = Truststore(
            self,
            "truststore",
            TruststoreProps(
                naming=naming,
                account_id=stack.account_id,
                region=region,
                key=keys.for_("s3"),
                pem=edge.truststore_pem,
                access_log_bucket=access_logs,
            ),
        )
        # the API stage's own ACL: clients connect to it themselves, so it limits each one's address (SEC-8)
        self.web_acl = WebAcl(
            self, "waf", WebAclProps(naming, "api", logs, requests_per_5_minutes=edge.rate_limits.api_per_client)
        )
        self.api = PaymentApi(
            self,
            "api",
            PaymentApiProps(
                naming=naming,
                domain_name=dns.api_hostname,
                certificate_arn=self.certificate.arn,
                backend_hostname=runtime.load_balancer.hostname,
                origin_header=runtime.origin_secret.header,  # read once, by the runtime
                user_pools=user_pools,
                truststore=self.truststore,
                logs=logs,
                account=ApiGatewayAccount(self, "account", ApiGatewayAccountProps(naming, region)),
                web_acl_arn=self.web_acl.arn,
                cors_origins=edge.cors_origins,
                throttle_rate_per_second=edge.throttle_rate_per_second,
                throttle_burst=edge.throttle_burst,
                monthly_quota=edge.monthly_quota,
            ),
        )
        self.health_check: HttpsHealthCheck | None = None
        if dns.hosted_zone_id is not None:
            self._records(config, naming, stack.role, dns.hosted_zone_id, runtime.load_balancer)

    def _records(
        self, config: EnvironmentConfig, naming: Naming, role: str, zone_id: str, load_balancer: PublicLoadBalancer
    ) -> None:
        AliasRecord(
            self,
            "origin-alias",
            AliasRecordProps(
                zone_id, load_balancer.hostname, AliasTarget(load_balancer.dns_name, load_balancer.zone_id, True)
            ),
        )
        self.health_check = HttpsHealthCheck(
            self,
            "health",
            HttpsHealthCheckProps(
                name=naming.name("health", self.region),
                fqdn=load_balancer.hostname,
                path=HEALTH_PATH,
                interval_seconds=config.edge.health_check_interval_seconds,
                failure_threshold=config.edge.health_check_failure_threshold,
            ),
        )
        AliasRecord(
            self,
            "api-failover",
            AliasRecordProps(
                zone_id,
                config.dns.api_hostname,
                AliasTarget(self.api.regional_domain_name, self.api.regional_zone_id),
                failover=Failover(failover_role(config, role), self.region, self.health_check),
            ),
        )

    def outputs(self) -> dict[str, tuple[str, str]]:
        """Name -> (value, description) for the stack's outputs (DC-10)."""
        where, api = f"in {self.region}", self.api
        found = {
            "api_id": (api.api_id, f"ID of the payment API (REST) {where}"),
            "api_url": (api.url, "URL clients call (mutual TLS, API key, Cognito token); failover picks the region"),
            "api_regional_domain_name": (api.regional_domain_name, f"The API custom domain's regional target {where}"),
            "api_stage_arn": (api.stage_arn, f"ARN of the payment API's stage {where}"),
            "api_key_id": (api.api_key_id, f"ID of the payment API key {where} (its value is read from AWS)"),
            "api_usage_plan_id": (api.usage_plan_id, f"ID of the payment API's usage plan {where}"),
            "api_access_log_group_name": (api.access_log_group_name, f"Access log group of the payment API {where}"),
            "api_execution_log_group_name": (
                api.execution_log_group_name,
                f"Execution log group of the payment API's stage {where}",
            ),
            "api_web_acl_arn": (self.web_acl.arn, f"ARN of the regional web ACL on the API stage {where}"),
            "api_truststore_uri": (self.truststore.uri, f"Mutual-TLS truststore of the API domain {where}"),
        }
        if self.health_check is not None:
            found["health_check_id"] = (self.health_check.id, f"Route 53 health check of the origin {where}")
        return found


def add_cdn(stack: MeridianStack, regions: list[RegionalStack]) -> PaymentsCdn:
    """CloudFront in front of both regions, the active one first; its CLOUDFRONT_REGION pieces through an aliased provider."""
    config, naming = stack.config, stack.naming
    ordered = sorted(regions, key=lambda regional: failover_role(config, regional.role) != "PRIMARY")
    origins = []
    for regional in ordered:
        # each region's secret is read in its region; the ID follows the stack's role, not the switch
        with stack.in_region(regional.region, f"origin-header-{regional.role}") as scope:
            header = OriginHeaderReader(scope, "secret", regional.runtime.origin_secret).header
        origins.append(CdnOrigin(regional.region, regional.runtime.load_balancer.hostname, header))
    with stack.in_region(CLOUDFRONT_REGION, "cloudfront") as home:
        days = config.retention.log_days
        logs_key = CustomerKey(
            home, "logs-key", CustomerKeyProps("logs", naming, stack.account_id, CLOUDFRONT_REGION, qualifier="cdn")
        )
        web_acl = WebAcl(
            home,
            "waf",
            WebAclProps(
                naming,
                "cdn",
                LogSettings(logs_key, days),
                scope="CLOUDFRONT",
                requests_per_5_minutes=config.edge.rate_limits.cdn_per_client,
            ),
        )
        log_bucket = SecureBucket(
            home,
            "logs",
            SecureBucketProps(
                name=naming.bucket("cdn-logs", stack.account_id, CLOUDFRONT_REGION),
                key=CustomerKey(
                    home, "log-bucket-key", CustomerKeyProps("cdn-logs", naming, stack.account_id, CLOUDFRONT_REGION)
                ),
                noncurrent_version_days=days,
                expire_objects_days=days,
                acls_for_cloudfront_logs=True,
            ),
        )
        cdn = PaymentsCdn(
            home,
            "distribution",
            PaymentsCdnProps(
                naming=naming,
                hostname=config.dns.cdn_hostname,
                certificate=issued_certificate(home, config, CLOUDFRONT_REGION, config.dns.cdn_hostname),
                origins=(origins[0], origins[1]),
                web_acl_arn=web_acl.arn,
                log_bucket_domain_name=log_bucket.domain_name,
            ),
        )
    if config.dns.hosted_zone_id is not None:
        AliasRecord(
            stack,
            "cdn-alias",
            AliasRecordProps(
                config.dns.hosted_zone_id,
                config.dns.cdn_hostname,
                AliasTarget(cdn.domain_name, cdn.hosted_zone_id),
                record_types=("A", "AAAA"),
            ),
        )
    stack.output("cdn_distribution_id", cdn.id, "ID of the CloudFront distribution (invalidations, metrics)")
    stack.output("cdn_domain_name", cdn.domain_name, "CloudFront's own domain name, the alias target")
    stack.output("cdn_url", f"https://{config.dns.cdn_hostname}", "URL of the CloudFront distribution")
    stack.output("cdn_web_acl_arn", web_acl.arn, f"ARN of the CLOUDFRONT-scope web ACL ({CLOUDFRONT_REGION})")
    stack.output("cdn_log_bucket_name", log_bucket.name, "Bucket CloudFront's standard logs go to")
    return cdn
