"""QA-1 / APP-6 / SEC-9 / EDGE-5: the public load balancer, its listeners and its DNS-validated certificate."""

from __future__ import annotations

import json

import pytest

from constructs_lib.certificate import DnsValidatedCertificate, DnsValidatedCertificateProps
from constructs_lib.load_balancer import TLS_POLICY, PublicLoadBalancerProps
from payment_service.healthcheck import LIVENESS_PATH
from tests.support.constructs import TEST_NAMING, synth_construct
from tests.support.runtime import ALTERNATIVE, DOMAIN, HOSTED_ZONE, ORIGIN_HEADER, AccessLogs, address


def _listener(synth, port: int) -> dict:
    (listener,) = [body for body in synth.resources("aws_lb_listener").values() if body["port"] == port]
    return listener


@pytest.mark.req("APP-6")
@pytest.mark.req("QA-1")
def test_alb_is_internet_facing_drops_invalid_headers_and_logs_access(runtime):
    alb = runtime.only("aws_lb")
    assert alb["internal"] is False and alb["load_balancer_type"] == "application"
    assert alb["subnets"] == [f"${{aws_subnet.public{az}.id}}" for az in (1, 2, 3)]
    assert alb["security_groups"] == ["${aws_security_group.alb-tier.id}"]
    assert alb["drop_invalid_header_fields"] is True
    assert alb["access_logs"] == {"bucket": "${aws_s3_bucket.alb-logs.bucket}", "prefix": "alb", "enabled": True}
    # created only once ELB may write its logs: it checks the bucket policy when the ALB is created
    assert alb["depends_on"] == ["aws_s3_bucket_policy.alb-logs-policy"]


@pytest.mark.req("APP-6")
@pytest.mark.parametrize("protected", [True, False])
def test_deletion_protection_follows_the_environment(runtime, runtime_without_service, protected):
    synth = runtime if protected else runtime_without_service
    assert synth.only("aws_lb")["enable_deletion_protection"] is protected


@pytest.mark.req("SEC-9")
@pytest.mark.req("APP-6")
def test_https_listener_uses_tls_1_2_or_later_and_the_validated_certificate(runtime):
    https = _listener(runtime, 443)
    assert https["protocol"] == "HTTPS"
    assert https["ssl_policy"] == TLS_POLICY and "TLS13-1-2" in TLS_POLICY
    # the listener waits for issuance: it reads the ARN from the validation resource, not the request
    validation = address(runtime, "aws_acm_certificate_validation", "certificate")
    assert https["certificate_arn"] == f"${{{validation}.certificate_arn}}"


@pytest.mark.req("SEC-9")
@pytest.mark.req("APP-6")
def test_http_listener_only_redirects_to_https(runtime):
    http = _listener(runtime, 80)
    assert http["protocol"] == "HTTP"
    assert http["default_action"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
    ]
    assert len(runtime.resources("aws_lb_listener")) == 2
    rules = runtime.resources("aws_lb_listener_rule").values()
    assert all(rule["listener_arn"] == f"${{{address(runtime, 'aws_lb_listener', 'alb/https')}.arn}}" for rule in rules)


@pytest.mark.req("APP-6")
def test_target_groups_check_the_health_path_with_10_s_timeout_and_5_failures(runtime):
    # The service's liveness path: 200 while PostgreSQL answers, also during a Redis outage
    # (tests/payment_service/test_payment_health.py), so a cache outage drains no target.
    groups = {g["name"]: g for g in runtime.resources("aws_lb_target_group").values()}
    assert set(groups) == {"meridian-blue-test", "meridian-green-test"}
    for group in groups.values():
        assert (group["target_type"], group["port"]) == ("ip", 8080)
        check = group["health_check"]
        assert (check["path"], check["timeout"], check["unhealthy_threshold"], check["matcher"]) == (
            LIVENESS_PATH,
            10,
            5,
            "200",
        )
        assert check["interval"] > check["timeout"]


def _rules(synth) -> dict[int, dict]:
    return {rule["priority"]: rule for rule in synth.resources("aws_lb_listener_rule").values()}


ORIGIN = {"http_header": {"http_header_name": ORIGIN_HEADER.name, "values": [ORIGIN_HEADER.value]}}


@pytest.mark.req("APP-6")
@pytest.mark.req("EDGE-3")
def test_without_the_origin_header_the_https_listener_answers_403(runtime):
    # GIVEN a request that did not come through CloudFront (no secret origin header)
    # WHEN no rule matches it, THEN the listener's default action answers 403 and forwards nothing
    (default,) = _listener(runtime, 443)["default_action"]
    assert default["type"] == "fixed-response" and default["fixed_response"]["status_code"] == "403"
    assert "forward" not in default and "target_group_arn" not in default
    # AND every rule but the health probe's requires the header with the secret's value
    rules = _rules(runtime)
    assert sorted(rules) == [1, 10, 20]
    for priority in (10, 20):
        assert ORIGIN in rules[priority]["condition"]


@pytest.mark.req("APP-6")
@pytest.mark.req("EDGE-4")
def test_only_get_on_the_health_path_is_answered_without_the_origin_header(runtime):
    # Route 53 health checks cannot send headers: GET /health alone reaches the service (blue)
    blue = f"${{{address(runtime, 'aws_lb_target_group', 'alb/blue')}.arn}}"
    health = _rules(runtime)[1]
    assert health["condition"] == [
        {"path_pattern": {"values": [LIVENESS_PATH]}},
        {"http_request_method": {"values": ["GET"]}},
    ]
    assert health["action"] == [{"type": "forward", "target_group_arn": blue}]


@pytest.mark.req("APP-6")
def test_green_is_reached_by_the_release_header_and_production_goes_to_blue(runtime):
    blue = f"${{{address(runtime, 'aws_lb_target_group', 'alb/blue')}.arn}}"
    green = f"${{{address(runtime, 'aws_lb_target_group', 'alb/green')}.arn}}"
    rules = _rules(runtime)
    (forward,) = rules[20]["action"]
    weights = {group["arn"]: group["weight"] for group in forward["forward"]["target_group"]}
    assert weights == {blue: 100, green: 0}
    assert rules[10]["condition"] == [
        ORIGIN,
        {"http_header": {"http_header_name": "X-Meridian-Release", "values": ["green"]}},
    ]
    assert rules[10]["action"] == [{"type": "forward", "target_group_arn": green}]


@pytest.mark.req("EDGE-5")
@pytest.mark.req("QA-1")
def test_certificate_is_validated_by_dns_records_in_the_hosted_zone(runtime):
    certificate = runtime.only("aws_acm_certificate")
    assert certificate["domain_name"] == DOMAIN and certificate["subject_alternative_names"] == [ALTERNATIVE]
    assert certificate["validation_method"] == "DNS"
    assert certificate["lifecycle"] == {"create_before_destroy": True}
    records = runtime.only("aws_route53_record")
    # one record per configured name (keys known at plan), each ACM's answer for that name
    assert records["for_each"] == f'${{toset(["{DOMAIN}", "{ALTERNATIVE}"])}}'
    assert records["zone_id"] == HOSTED_ZONE
    cert = address(runtime, "aws_acm_certificate", "certificate")
    assert records["name"] == (
        f"${{one([for o in {cert}.domain_validation_options : o.resource_record_name if o.domain_name == each.key])}}"
    )
    validation = runtime.only("aws_acm_certificate_validation")
    assert validation["certificate_arn"] == f"${{{cert}.arn}}"
    assert "aws_route53_record." in validation["validation_record_fqdns"]


@pytest.mark.req("EDGE-5")
@pytest.mark.req("APP-6")
def test_no_placeholder_certificate_arn_anywhere(runtime):
    rendered = json.dumps(runtime)
    assert "arn:aws:acm" not in rendered and "placeholder" not in rendered.lower()


@pytest.mark.req("EDGE-5")
def test_certificate_for_cloudfront_is_requested_in_us_east_1():
    synth = synth_construct(
        lambda stack: DnsValidatedCertificate(
            stack, "cdn", DnsValidatedCertificateProps("cdn.test.example.com", HOSTED_ZONE, region="us-east-1")
        )
    )
    assert synth.only("aws_acm_certificate")["region"] == "us-east-1"
    assert synth.only("aws_acm_certificate_validation")["region"] == "us-east-1"
    assert "subject_alternative_names" not in synth.only("aws_acm_certificate")


@pytest.mark.req("APP-6")
def test_load_balancer_refuses_a_single_subnet_and_a_relative_health_path():
    common = {
        "naming": TEST_NAMING,
        "hostname": DOMAIN,
        "origin_header": ORIGIN_HEADER,
        "vpc_id": "vpc-1",
        "security_group": type("Sg", (), {"id": "sg-1"})(),
        "certificate": type("Cert", (), {"arn": "x"})(),
        "access_logs": AccessLogs("logs"),
        "target_port": 8080,
        "deletion_protection": False,
    }
    with pytest.raises(ValueError, match="at least two public subnets"):
        PublicLoadBalancerProps(subnet_ids=["subnet-1"], health_check_path="/health", **common)
    with pytest.raises(ValueError, match="health check path 'health'"):
        PublicLoadBalancerProps(subnet_ids=["subnet-1", "subnet-2"], health_check_path="health", **common)
