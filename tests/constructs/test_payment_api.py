"""QA-1, EDGE-1, EDGE-2, OPS-1, SEC-8: the payment API on its mutual-TLS domain, its authorizers, logs and meter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from constructs_lib.api_gateway_account import ApiGatewayAccount, ApiGatewayAccountProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.log_group import LogSettings
from constructs_lib.origin_secret import OriginHeaderReader
from constructs_lib.payment_api import PAYMENT_ROUTES, ApiRoute, PaymentApi, PaymentApiProps
from constructs_lib.truststore import Truststore, TruststoreProps
from constructs_lib.user_pool import UserPool, UserPoolProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct

ROOT = Path(__file__).resolve().parents[2]
TEST_TRUSTSTORE = (ROOT / "config/truststores/dev-test-truststore.pem").read_text()
CLIENT_CERTIFICATE = (ROOT / "tests/fixtures/dev-test-client-certificate.pem").read_text()
WEB_ACL_ARN = f"arn:aws:wafv2:{TEST_REGION}:{TEST_ACCOUNT}:regional/webacl/payments-test/0a1b2c3d"
CERTIFICATE_ARN = f"arn:aws:acm:{TEST_REGION}:{TEST_ACCOUNT}:certificate/0a1b2c3d-0000-4000-8000-000000000000"
BACKEND = "origin.eu-west-1.test.payments.example.com"
API_DOMAIN = "api.test.payments.example.com"  # the same client-facing name in both regions
ORIGIN_SECRET_ARN = f"arn:aws:secretsmanager:{TEST_REGION}:{TEST_ACCOUNT}:secret:meridian-origin-test-AbCdEf"
HEADER = "X-Meridian-Origin-Verify"


@dataclass(frozen=True)
class _OriginSecret:
    arn: str = ORIGIN_SECRET_ARN
    header_name: str = HEADER


ORIGINS = ("https://shop.example.org", "https://merchants.example.org")


def _key(stack, purpose):
    return CustomerKey(stack, f"key-{purpose}", CustomerKeyProps(purpose, TEST_NAMING, TEST_ACCOUNT, TEST_REGION))


def _api_props(stack, **changes) -> PaymentApiProps:
    pools = {
        population: UserPool(
            stack, population, UserPoolProps(naming=TEST_NAMING, population=population, mfa="required")
        )
        for population in ("merchants", "customers")
    }
    truststore = Truststore(
        stack,
        "truststore",
        TruststoreProps(TEST_NAMING, TEST_ACCOUNT, TEST_REGION, key=_key(stack, "s3"), pem=TEST_TRUSTSTORE),
    )
    settings = {
        "naming": TEST_NAMING,
        "domain_name": API_DOMAIN,
        "certificate_arn": CERTIFICATE_ARN,
        "backend_hostname": BACKEND,
        "origin_header": OriginHeaderReader(stack, "origin-header", _OriginSecret()).header,
        "user_pools": pools,
        "truststore": truststore,
        "logs": LogSettings(key=_key(stack, "logs"), retention_days=365),
        "account": ApiGatewayAccount(stack, "api-gateway-account", ApiGatewayAccountProps(TEST_NAMING, TEST_REGION)),
        "web_acl_arn": WEB_ACL_ARN,
        "cors_origins": ORIGINS,
    }
    return PaymentApiProps(**{**settings, **changes})


@pytest.fixture(scope="module")
def synth():
    return synth_construct(lambda stack: PaymentApi(stack, "api", _api_props(stack)))


def _methods(synth) -> dict[tuple[str, str], dict]:
    """(HTTP method, path) -> the method with its logical name, paths rebuilt from the resources' path parts."""
    resources = synth.resources("aws_api_gateway_resource")

    def path_of(reference: str) -> str:
        if "root_resource_id" in reference:
            return ""
        body = resources[reference.split(".")[1]]
        return f"{path_of(body['parent_id'])}/{body['path_part']}"

    return {
        (m["http_method"], path_of(m["resource_id"])): {**m, "logical": logical}
        for logical, m in synth.resources("aws_api_gateway_method").items()
    }


def _of_method(synth, type_: str, method: dict) -> list[dict]:
    """The integrations (or responses) wired to this method: they read its attributes."""
    reference = f"${{aws_api_gateway_method.{method['logical']}.http_method}}"
    return [body for body in synth.resources(type_).values() if body["http_method"] == reference]


def _origin_value(synth) -> str:
    """The header value as API Gateway sends it: the secret's current version, read by a data source, quoted."""
    (logical,) = synth["data"]["aws_secretsmanager_secret_version"]
    assert synth["data"]["aws_secretsmanager_secret_version"][logical]["secret_id"] == ORIGIN_SECRET_ARN
    return f"'${{data.aws_secretsmanager_secret_version.{logical}.secret_string}}'"


def _integration(synth, method: dict) -> dict:
    (found,) = _of_method(synth, "aws_api_gateway_integration", method)
    return found


def _authorizer(synth, method: dict) -> dict:
    logical = method["authorizer_id"].split(".")[1]
    return synth.resources("aws_api_gateway_authorizer")[logical]


def _pool_logicals(authorizer: dict) -> set[str]:
    return {arn.split(".")[1] for arn in authorizer["provider_arns"]}


@pytest.mark.req("EDGE-1")
@pytest.mark.req("QA-1")
def test_only_the_mutual_tls_custom_domain_reaches_the_api(synth):
    api = synth.only("aws_api_gateway_rest_api")
    assert api["disable_execute_api_endpoint"] is True and api["lifecycle"] == {"create_before_destroy": True}
    assert api["endpoint_configuration"] == {"types": ["REGIONAL"]}
    domain = synth.only("aws_api_gateway_domain_name")
    assert domain["domain_name"] == API_DOMAIN
    assert domain["regional_certificate_arn"] == CERTIFICATE_ARN and domain["security_policy"] == "TLS_1_2"
    mtls = domain["mutual_tls_authentication"]
    assert mtls["truststore_uri"].startswith("s3://${aws_s3_bucket.truststore_bucket_")
    assert mtls["truststore_uri"].endswith("/truststore.pem")
    assert mtls["truststore_version"].startswith("${aws_s3_object.truststore_pem_")  # pinned to the upload
    assert mtls["truststore_version"].endswith(".version_id}")
    mapping = synth.only("aws_api_gateway_base_path_mapping")
    assert mapping["domain_name"].startswith("${aws_api_gateway_domain_name.api_domain_")
    assert mapping["stage_name"].startswith("${aws_api_gateway_stage.api_stage_") and "base_path" not in mapping


@pytest.mark.req("EDGE-1")
@pytest.mark.req("QA-1")
def test_the_truststore_is_the_committed_test_ca_in_a_versioned_cmk_encrypted_bucket(synth):
    pem = synth.only("aws_s3_object")
    assert pem["content"] == TEST_TRUSTSTORE and pem["key"] == "truststore.pem"
    assert pem["server_side_encryption"] == "aws:kms" and pem["kms_key_id"].startswith("${aws_kms_key.key-s3_key_")
    (waits_for,) = pem["depends_on"]
    assert waits_for.startswith("aws_s3_bucket_versioning.truststore")
    versioning = synth.only("aws_s3_bucket_versioning")
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    encryption = synth.only("aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert encryption["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"


@pytest.mark.req("EDGE-1")
@pytest.mark.req("OPS-1")
@pytest.mark.req("QA-1")
def test_stage_logs_json_to_cmk_groups_traces_and_waits_for_the_logging_role(synth):
    stage = synth.only("aws_api_gateway_stage")
    assert stage["xray_tracing_enabled"] is True and stage["stage_name"] == "v1"
    access = stage["access_log_settings"]
    assert access["destination_arn"].startswith("${aws_cloudwatch_log_group.api_access-logs_group_")
    fields = json.loads(access["format"])
    assert {"requestId", "ip", "caller", "status", "resourcePath", "clientCertSerial"} <= set(fields)
    waits_for = {d.split(".")[0] for d in stage["depends_on"]}
    assert waits_for == {"aws_api_gateway_account", "aws_cloudwatch_log_group"}
    groups = {g["name"]: g for g in synth.resources("aws_cloudwatch_log_group").values()}
    (execution,) = [name for name in groups if name != "/apigateway/meridian-payments-api-access-test"]
    assert execution.startswith("API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.api_")
    assert execution.endswith(".id}/v1")  # the group API Gateway would otherwise create unencrypted
    for group in groups.values():
        assert group["kms_key_id"].startswith("${aws_kms_key.key-logs_key_") and group["retention_in_days"] == 365


@pytest.mark.req("EDGE-1")
@pytest.mark.req("QA-1")
def test_execution_logging_and_throttling_through_method_settings_with_the_account_role(synth):
    settings = synth.only("aws_api_gateway_method_settings")
    assert settings["method_path"] == "*/*"
    assert settings["settings"] == {
        "logging_level": "INFO",
        "metrics_enabled": True,
        "data_trace_enabled": False,
        "throttling_rate_limit": 1000,
        "throttling_burst_limit": 2000,
    }
    account = synth.only("aws_api_gateway_account")
    assert account["cloudwatch_role_arn"].startswith("${aws_iam_role.api-gateway-account_role_")
    role = next(r for r in synth.resources("aws_iam_role").values() if "api-gateway-logs" in r["name"])
    trust = statement(policy(role["assume_role_policy"]), "ServiceAssumesForThisAccount")
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"} and "Resource" not in trust
    (attachment,) = synth.resources("aws_iam_role_policy_attachment").values()
    assert attachment["policy_arn"].endswith(":policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
    assert account["depends_on"][0].startswith("aws_iam_role_policy_attachment.")


@pytest.mark.req("EDGE-1")
@pytest.mark.req("QA-1")
def test_api_key_and_usage_plan_meter_a_monthly_quota(synth):
    plan = synth.only("aws_api_gateway_usage_plan")
    assert plan["quota_settings"] == {"limit": 100000, "period": "MONTH"}
    assert plan["throttle_settings"] == {"rate_limit": 1000, "burst_limit": 2000}
    assert plan["api_stages"][0]["stage"].startswith("${aws_api_gateway_stage.api_stage_")
    key = synth.only("aws_api_gateway_api_key")
    assert key["enabled"] is True and key["name"] == "meridian-payments-api-key-test"
    link = synth.only("aws_api_gateway_usage_plan_key")
    assert link["key_type"] == "API_KEY" and "api_api-key_" in link["key_id"] and "usage-plan" in link["usage_plan_id"]


@pytest.mark.req("EDGE-1")
@pytest.mark.req("QA-1")
def test_health_answers_from_a_mock_without_credentials(synth):
    health = _methods(synth)[("GET", "/health")]
    assert (health["authorization"], health["api_key_required"]) == ("NONE", False)
    integration = _integration(synth, health)
    assert integration["type"] == "MOCK"
    (answer,) = _of_method(synth, "aws_api_gateway_integration_response", health)
    assert json.loads(answer["response_templates"]["application/json"]) == {"status": "ok"}


@pytest.mark.req("EDGE-1")
@pytest.mark.req("EDGE-2")
@pytest.mark.req("QA-1")
def test_each_payment_route_is_proxied_over_https_behind_the_authorizer_of_its_populations(synth):
    methods = _methods(synth)
    for route in PAYMENT_ROUTES:
        method = methods[(route.method, route.path)]
        # THEN the route needs an API key and a token of exactly the populations that may call it
        assert method["authorization"] == "COGNITO_USER_POOLS" and method["api_key_required"] is True
        authorizer = _authorizer(synth, method)
        assert authorizer["type"] == "COGNITO_USER_POOLS"
        assert authorizer["identity_source"] == "method.request.header.Authorization"
        assert _pool_logicals(authorizer) == {f"{p}_pool_{_hash(synth, p)}" for p in route.populations}
        integration = _integration(synth, method)
        assert integration["type"] == "HTTP_PROXY" and integration["integration_http_method"] == route.method
        assert integration["uri"] == f"https://{BACKEND}{route.path}"
        # AND every request to the load balancer carries the origin header it admits (a quoted static value)
        assert integration["request_parameters"][f"integration.request.header.{HEADER}"] == _origin_value(synth)
    by_id = methods[("GET", "/payments/{payment_id}")]
    assert by_id["request_parameters"] == {"method.request.path.payment_id": True}
    assert _integration(synth, by_id)["request_parameters"] == {
        "integration.request.path.payment_id": "method.request.path.payment_id",
        f"integration.request.header.{HEADER}": _origin_value(synth),
    }
    # AND customers' tokens never reach the merchant-only routes
    for path_method in (("POST", "/payments"), ("GET", "/payments")):
        assert _pool_logicals(_authorizer(synth, methods[path_method])) == {
            f"merchants_pool_{_hash(synth, 'merchants')}"
        }
    assert len(synth.resources("aws_api_gateway_authorizer")) == 2
    # AND every method has its required parameters checked before the authorizer runs
    validator = synth.only("aws_api_gateway_request_validator")
    assert validator["validate_request_parameters"] is True
    assert {m["request_validator_id"].split(".")[1] for m in methods.values()} == set(
        synth.resources("aws_api_gateway_request_validator")
    )


def _hash(synth, population: str) -> str:
    (logical,) = [name for name in synth.resources("aws_cognito_user_pool") if name.startswith(f"{population}_pool_")]
    return logical.rsplit("_", 1)[1]


@pytest.mark.req("EDGE-1")
@pytest.mark.req("QA-1")
def test_preflight_names_only_configured_origins(synth):
    methods = _methods(synth)
    for path in ("/payments", "/payments/{payment_id}"):
        options = methods[("OPTIONS", path)]
        assert (options["authorization"], options["api_key_required"]) == ("NONE", False)
        assert _integration(synth, options)["type"] == "MOCK"
    answers = [
        answer
        for path in ("/payments", "/payments/{payment_id}")
        for answer in _of_method(synth, "aws_api_gateway_integration_response", methods[("OPTIONS", path)])
    ]
    assert len(answers) == 2
    for path in ("/payments", "/payments/{payment_id}"):
        (declared,) = _of_method(synth, "aws_api_gateway_method_response", methods[("OPTIONS", path)])
        assert declared["response_parameters"]["method.response.header.Access-Control-Allow-Origin"] is True
    allowed = {a["response_parameters"]["method.response.header.Access-Control-Allow-Methods"] for a in answers}
    assert allowed == {"'POST,GET,OPTIONS'", "'GET,OPTIONS'"}
    for answer in answers:
        template = answer["response_templates"]["application/json"]
        assert all(f'$origin == "{origin}"' in template for origin in ORIGINS)
        assert "responseOverride.header.Access-Control-Allow-Origin = $origin" in template
        assert "*" not in json.dumps(answer["response_parameters"])


@pytest.mark.req("SEC-8")
@pytest.mark.req("QA-1")
def test_the_stage_sits_behind_the_regional_web_acl(synth):
    association = synth.only("aws_wafv2_web_acl_association")
    assert association["web_acl_arn"] == WEB_ACL_ARN
    assert association["resource_arn"].startswith("${aws_api_gateway_stage.api_stage_")


@pytest.mark.req("EDGE-1")
@pytest.mark.req("QA-1")
def test_a_changed_api_is_redeployed_before_the_old_deployment_goes(synth):
    deployment = synth.only("aws_api_gateway_deployment")
    assert deployment["lifecycle"] == {"create_before_destroy": True}
    assert len(deployment["triggers"]["redeployment"]) == 64
    # a rotated origin header reaches the stage only through a new deployment; only its hash is a trigger
    secret = _origin_value(synth)[3:-2]  # the reference inside '${...}'
    assert deployment["triggers"]["origin_header"] == f"${{sha256({secret})}}"
    waits_for = {d.split(".")[0] for d in deployment["depends_on"]}
    assert waits_for == {
        "aws_api_gateway_integration",
        "aws_api_gateway_integration_response",
        "aws_api_gateway_method_response",
    }
    assert "stage_name" not in deployment  # deprecated: the stage is its own resource


@pytest.mark.req("EDGE-1")
@pytest.mark.parametrize(
    "changes,words",
    [
        (
            {"routes": (ApiRoute("GET", "/payments", ("partners",)),)},
            "route GET /payments admits partners; allowed: one or more of the user pools merchants, customers",
        ),
        ({"routes": (ApiRoute("GET", "/payments", ()),)}, "admits nobody"),
        ({"cors_origins": ("http://shop.example.org",)}, "'http://shop.example.org' is not an HTTPS origin"),
        ({"cors_origins": ("*",)}, "'\\*' is not an HTTPS origin"),
        ({"throttle_burst": 10}, "throttling 1000 rps, burst 10"),
    ],
    ids=["unknown population", "nobody", "plain http origin", "any origin", "burst below rate"],
)
def test_an_api_that_would_admit_the_wrong_callers_is_refused(changes, words):
    with pytest.raises(ValueError, match=words):
        synth_construct(lambda stack: _api_props(stack, **changes))


@pytest.mark.req("EDGE-1")
@pytest.mark.parametrize(
    "pem,words",
    [
        ("", "truststore: not a PEM bundle"),
        ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n", "not a PEM bundle"),
        (CLIENT_CERTIFICATE, "1 of 1 certificates are not CA certificates"),
    ],
    ids=["empty", "not a certificate", "a client certificate, not a CA"],
)
def test_a_truststore_that_is_not_ca_certificates_is_refused(pem, words):
    with pytest.raises(ValueError, match=words):
        TruststoreProps(TEST_NAMING, TEST_ACCOUNT, TEST_REGION, key=None, pem=pem)  # type: ignore[arg-type]
