"""The CloudFront distribution in front of both regions' load balancers (EDGE-3, SEC-8, DC-3).

    cdn = PaymentsCdn(self, "cdn", PaymentsCdnProps(
        naming=naming, hostname="pay.example.org", certificate=certificate,     # in CloudFront's region (its rule)
        origins=(CdnOrigin(region, f"origin.{region}.pay.example.org", header), CdnOrigin(...)),
        web_acl_arn=acl.arn, log_bucket=bucket,
    ))
    cdn.domain_name, cdn.hosted_zone_id     # the alias target of the custom domain

Viewers reach it only over HTTPS (TLSv1.2_2021 at least) on the custom domain. The origins are the
regions' HTTPS hostnames (alias records of the load balancers, names their certificates cover),
first the active region's: an origin group sends each request to the first and, when that answers
500, 502, 503 or 504 or cannot be reached, retries on the second. CloudFront fails over only GET,
HEAD and OPTIONS, and refuses an origin group on a behavior that allows other methods, so the
distribution serves exactly those (payment reads, health, preflight); payments are created
through the payment API, whose DNS failover moves POSTs (README). Each origin receives its region's
origin header, the value the load balancer admits; CloudFront overwrites a viewer's header of that
name. Nothing is cached: every answer is per caller (bearer tokens), and every viewer header but
Host reaches the origin, so Host is the origin's own name and TLS to it verifies.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionLoggingConfig,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionOriginCustomHeader,
    CloudfrontDistributionOriginCustomOriginConfig,
    CloudfrontDistributionOriginGroup,
    CloudfrontDistributionOriginGroupFailoverCriteria,
    CloudfrontDistributionOriginGroupMember,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfig,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity,
)
from constructs import Construct

from constructs_lib.certificate import Certificate
from constructs_lib.naming import Naming
from constructs_lib.origin_secret import OriginHeader

MINIMUM_VIEWER_TLS = "TLSv1.2_2021"
FAILOVER_STATUS_CODES = (500, 502, 503, 504)
FAILOVER_METHODS = ("GET", "HEAD", "OPTIONS")  # the only methods CloudFront retries on another origin
ORIGIN_GROUP_ID = "regions"
# AWS managed policies (IDs fixed by AWS, the same in every account).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


@dataclass(frozen=True)
class CdnOrigin:
    region: str  # names the origin (its origin_id)
    hostname: str  # an HTTPS name the load balancer's certificate covers (never a raw ELB name)
    header: OriginHeader


@dataclass(frozen=True)
class PaymentsCdnProps:
    naming: Naming
    hostname: str  # the custom domain viewers use
    certificate: Certificate  # covering hostname, issued in CloudFront's region (CLOUDFRONT_REGION)
    origins: tuple[CdnOrigin, CdnOrigin]  # the active region's first
    web_acl_arn: str  # a CLOUDFRONT-scope web ACL (SEC-8)
    log_bucket_domain_name: str  # standard logging's bucket (<bucket>.s3.amazonaws.com)
    price_class: str = "PriceClass_100"  # North America and Europe edges, where the regions are
    origin_read_timeout_seconds: int = 30

    def __post_init__(self) -> None:
        regions = [origin.region for origin in self.origins]
        if len(set(regions)) != 2:
            raise ValueError(f"CloudFront {self.hostname}: origins in {regions}; allowed: two different regions")
        for origin in self.origins:
            if origin.hostname.endswith(".elb.amazonaws.com"):
                raise ValueError(
                    f"CloudFront {self.hostname}: origin {origin.hostname} is a load balancer's own DNS name; "
                    "allowed: a name its certificate covers (the alias record)"
                )


class PaymentsCdn(Construct):
    def __init__(self, scope: Construct, id_: str, props: PaymentsCdnProps) -> None:
        super().__init__(scope, id_)
        # answers tell browsers: HTTPS only for two years, no sniffing, no framing, no referrer off-site
        headers = CloudfrontResponseHeadersPolicy(
            self,
            "security-headers",
            name=props.naming.name("cdn-security-headers"),
            comment="HSTS, nosniff, no framing, strict referrer",
            security_headers_config=CloudfrontResponseHeadersPolicySecurityHeadersConfig(
                strict_transport_security=CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity(
                    access_control_max_age_sec=63_072_000, include_subdomains=True, preload=True, override=True
                ),
                content_type_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions(
                    override=True
                ),
                frame_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions(
                    frame_option="DENY", override=True
                ),
                referrer_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
            ),
        )
        self._distribution = CloudfrontDistribution(
            self,
            "distribution",
            comment=f"{props.naming.name('cdn')}: {props.hostname} in front of both regions",
            enabled=True,
            aliases=[props.hostname],
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=props.price_class,
            web_acl_id=props.web_acl_arn,
            origin=[_origin(origin, props.origin_read_timeout_seconds) for origin in props.origins],
            origin_group=[
                CloudfrontDistributionOriginGroup(
                    origin_id=ORIGIN_GROUP_ID,
                    failover_criteria=CloudfrontDistributionOriginGroupFailoverCriteria(
                        status_codes=list(FAILOVER_STATUS_CODES)
                    ),
                    member=[CloudfrontDistributionOriginGroupMember(origin_id=o.region) for o in props.origins],
                )
            ],
            default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
                target_origin_id=ORIGIN_GROUP_ID,
                viewer_protocol_policy="https-only",
                allowed_methods=list(FAILOVER_METHODS),
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_DISABLED,
                origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST_HEADER,
                response_headers_policy_id=headers.id,
                compress=True,
            ),
            viewer_certificate=CloudfrontDistributionViewerCertificate(
                acm_certificate_arn=props.certificate.arn,
                ssl_support_method="sni-only",
                minimum_protocol_version=MINIMUM_VIEWER_TLS,
            ),
            restrictions=CloudfrontDistributionRestrictions(
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none")
            ),
            logging_config=CloudfrontDistributionLoggingConfig(
                bucket=props.log_bucket_domain_name, include_cookies=False, prefix="cloudfront/"
            ),
        )

    @property
    def arn(self) -> str:
        return self._distribution.arn

    @property
    def id(self) -> str:
        return self._distribution.id

    @property
    def domain_name(self) -> str:
        return self._distribution.domain_name

    @property
    def hosted_zone_id(self) -> str:
        return self._distribution.hosted_zone_id


def _origin(origin: CdnOrigin, read_timeout: int) -> CloudfrontDistributionOrigin:
    return CloudfrontDistributionOrigin(
        origin_id=origin.region,
        domain_name=origin.hostname,
        custom_origin_config=CloudfrontDistributionOriginCustomOriginConfig(
            http_port=80,
            https_port=443,
            origin_protocol_policy="https-only",
            origin_ssl_protocols=["TLSv1.2"],
            origin_read_timeout=read_timeout,
        ),
        custom_header=[CloudfrontDistributionOriginCustomHeader(name=origin.header.name, value=origin.header.value)],
    )
