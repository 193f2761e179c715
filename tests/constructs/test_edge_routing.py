"""QA-1, EDGE-3, EDGE-4, SEC-8: CloudFront's origins and failover, Route 53 alias and failover records, health checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from constructs_lib.alias_record import AliasRecord, AliasRecordProps, AliasTarget, Failover
from constructs_lib.cdn import (
    ALL_VIEWER_EXCEPT_HOST_HEADER,
    CACHING_DISABLED,
    CdnOrigin,
    PaymentsCdn,
    PaymentsCdnProps,
)
from constructs_lib.certificate import ImportedCertificate
from constructs_lib.health_check import HttpsHealthCheck, HttpsHealthCheckProps
from constructs_lib.origin_secret import OriginHeader
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, synth_construct

ZONE = "Z0452TESTMERIDIAN1"
CERTIFICATE = ImportedCertificate(
    f"arn:aws:acm:us-east-1:{TEST_ACCOUNT}:certificate/0a1b2c3d-0000-4000-8000-000000000000"
)
WEB_ACL = f"arn:aws:wafv2:us-east-1:{TEST_ACCOUNT}:global/webacl/meridian-cdn-test/0a1b2c3d"
ORIGINS = (
    CdnOrigin("us-east-1", "origin.us-east-1.test.example.com", OriginHeader("X-Meridian-Origin-Verify", "east")),
    CdnOrigin("us-west-2", "origin.us-west-2.test.example.com", OriginHeader("X-Meridian-Origin-Verify", "west")),
)


def _cdn_props(**changes) -> PaymentsCdnProps:
    settings = {
        "naming": TEST_NAMING,
        "hostname": "test.example.com",
        "certificate": CERTIFICATE,
        "origins": ORIGINS,
        "web_acl_arn": WEB_ACL,
        "log_bucket_domain_name": "meridian-cdn-logs-test.s3.amazonaws.com",
    }
    return PaymentsCdnProps(**{**settings, **changes})


@pytest.fixture(scope="module")
def cdn():
    return synth_construct(lambda stack: PaymentsCdn(stack, "cdn", _cdn_props()))


@pytest.fixture(scope="module")
def distribution(cdn) -> dict:
    return cdn.only("aws_cloudfront_distribution")


@pytest.mark.req("EDGE-3")
@pytest.mark.req("QA-1")
def test_viewers_reach_the_custom_domain_over_tls_1_2_2021_only(distribution):
    assert distribution["aliases"] == ["test.example.com"]
    certificate = distribution["viewer_certificate"]
    assert certificate["acm_certificate_arn"] == CERTIFICATE.arn and certificate["ssl_support_method"] == "sni-only"
    assert certificate["minimum_protocol_version"] == "TLSv1.2_2021"
    assert distribution["default_cache_behavior"]["viewer_protocol_policy"] == "https-only"


@pytest.mark.req("EDGE-3")
@pytest.mark.req("DC-3")
@pytest.mark.req("QA-1")
def test_the_origin_group_fails_over_from_the_active_region_to_the_other_on_5xx(distribution):
    # GIVEN origins given active region first WHEN synthesized
    (group,) = distribution["origin_group"]
    # THEN the default behavior goes to a group that tries the active region's origin, then the other
    assert distribution["default_cache_behavior"]["target_origin_id"] == group["origin_id"]
    assert [member["origin_id"] for member in group["member"]] == ["us-east-1", "us-west-2"]
    assert sorted(group["failover_criteria"]["status_codes"]) == [500, 502, 503, 504]
    # AND the behavior allows only the methods CloudFront fails over (POST would be refused with a group)
    assert distribution["default_cache_behavior"]["allowed_methods"] == ["GET", "HEAD", "OPTIONS"]


@pytest.mark.req("EDGE-3")
@pytest.mark.req("QA-1")
def test_each_origin_is_an_https_hostname_sent_its_own_regions_origin_header(distribution):
    origins = {origin["origin_id"]: origin for origin in distribution["origin"]}
    for expected in ORIGINS:
        origin = origins[expected.region]
        assert origin["domain_name"] == expected.hostname
        config = origin["custom_origin_config"]
        assert config["origin_protocol_policy"] == "https-only" and config["origin_ssl_protocols"] == ["TLSv1.2"]
        assert origin["custom_header"] == [{"name": "X-Meridian-Origin-Verify", "value": expected.header.value}]
    # nothing is cached (answers are per caller) and Host is the origin's own name, so TLS to it verifies
    behavior = distribution["default_cache_behavior"]
    assert behavior["cache_policy_id"] == CACHING_DISABLED
    assert behavior["origin_request_policy_id"] == ALL_VIEWER_EXCEPT_HOST_HEADER


@pytest.mark.req("SEC-8")
@pytest.mark.req("EDGE-3")
@pytest.mark.req("QA-1")
def test_the_distribution_sits_behind_the_cloudfront_web_acl_and_logs(distribution):
    assert distribution["web_acl_id"] == WEB_ACL
    logging = distribution["logging_config"]
    assert logging["bucket"] == "meridian-cdn-logs-test.s3.amazonaws.com" and logging["include_cookies"] is False


@pytest.mark.req("EDGE-3")
@pytest.mark.parametrize(
    "changes,words",
    [
        ({"origins": (ORIGINS[0], ORIGINS[0])}, "allowed: two different regions"),
        (
            {
                "origins": (
                    ORIGINS[0],
                    CdnOrigin("us-west-2", "meridian-alb-1.us-west-2.elb.amazonaws.com", ORIGINS[1].header),
                )
            },
            "is a load balancer's own DNS name",
        ),
    ],
    ids=["one region twice", "raw load balancer name"],
)
def test_a_distribution_without_two_regions_behind_covered_names_is_refused(changes, words):
    with pytest.raises(ValueError, match=words):
        _cdn_props(**changes)


@dataclass(frozen=True)
class _Check:
    id: str


@pytest.fixture(scope="module")
def failover() -> dict:
    def build(stack):
        for role, region in (("PRIMARY", "us-east-1"), ("SECONDARY", "us-west-2")):
            check = HttpsHealthCheck(
                stack,
                f"health-{region}",
                HttpsHealthCheckProps(f"health-{region}", f"origin.{region}.test.example.com"),
            )
            AliasRecord(
                stack,
                f"api-{region}",
                AliasRecordProps(
                    ZONE,
                    "api.test.example.com",
                    AliasTarget(f"d-{region}.execute-api.{region}.amazonaws.com", f"Z{region}"),
                    failover=Failover(role, region, check),
                ),
            )
        AliasRecord(
            stack,
            "cdn",
            AliasRecordProps(
                ZONE, "test.example.com", AliasTarget("d1.cloudfront.net", "Z2FDTNDATAQYW2"), None, ("A", "AAAA")
            ),
        )

    return synth_construct(build)


@pytest.mark.req("EDGE-4")
@pytest.mark.req("QA-1")
def test_https_health_checks_probe_the_health_path_at_the_configured_pace(failover):
    for check in failover.resources("aws_route53_health_check").values():
        assert check["type"] == "HTTPS" and check["port"] == 443 and check["resource_path"] == "/health"
        assert check["enable_sni"] is True and check["fqdn"].startswith("origin.")
        assert (check["request_interval"], check["failure_threshold"]) == (30, 3)


@pytest.mark.req("EDGE-4")
@pytest.mark.req("QA-1")
def test_failover_records_are_aliases_each_naming_its_own_regions_health_check(failover):
    checks = {logical: body["fqdn"] for logical, body in failover.resources("aws_route53_health_check").items()}
    records = [r for r in failover.resources("aws_route53_record").values() if r["name"] == "api.test.example.com"]
    assert sorted(r["failover_routing_policy"]["type"] for r in records) == ["PRIMARY", "SECONDARY"]
    for record in records:
        region = record["set_identifier"]
        assert "records" not in record and "ttl" not in record  # an alias, never an A record holding a name
        assert record["alias"]["name"] == f"d-{region}.execute-api.{region}.amazonaws.com"
        check = record["health_check_id"].removeprefix("${aws_route53_health_check.").removesuffix(".id}")
        assert checks[check] == f"origin.{region}.test.example.com"


@pytest.mark.req("EDGE-4")
@pytest.mark.req("QA-1")
def test_a_plain_alias_record_answers_a_and_aaaa_without_routing_policy(failover):
    records = [r for r in failover.resources("aws_route53_record").values() if r["name"] == "test.example.com"]
    assert sorted(r["type"] for r in records) == ["A", "AAAA"]
    for record in records:
        assert record["alias"] == {
            "name": "d1.cloudfront.net",
            "zone_id": "Z2FDTNDATAQYW2",
            "evaluate_target_health": False,
        }
        assert not {"failover_routing_policy", "health_check_id", "set_identifier"} & set(record)


@pytest.mark.req("EDGE-4")
@pytest.mark.parametrize(
    "changes,words",
    [
        ({"interval_seconds": 20}, "allowed: 10 or 30"),
        ({"failure_threshold": 0}, "allowed: 1 to 10"),
        ({"path": "health"}, "a path"),
    ],
    ids=["interval", "threshold", "relative path"],
)
def test_a_health_check_route_53_cannot_run_is_refused(changes, words):
    with pytest.raises(ValueError, match=words):
        HttpsHealthCheckProps(**{"name": "h", "fqdn": "origin.us-east-1.test.example.com", **changes})


@pytest.mark.req("EDGE-3")
@pytest.mark.req("QA-1")
def test_answers_carry_hsts_and_no_framing_or_sniffing(cdn, distribution):
    policy = cdn.only("aws_cloudfront_response_headers_policy")["security_headers_config"]
    hsts = policy["strict_transport_security"]
    assert hsts["access_control_max_age_sec"] >= 31_536_000 and hsts["include_subdomains"] and hsts["override"]
    assert policy["frame_options"]["frame_option"] == "DENY" and policy["content_type_options"]["override"]
    assert distribution["default_cache_behavior"]["response_headers_policy_id"].startswith(
        "${aws_cloudfront_response_headers_policy."
    )
