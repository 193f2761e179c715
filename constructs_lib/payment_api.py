"""The region's public payment API: API Gateway REST API on a mutual-TLS custom domain (EDGE-1, EDGE-2).

How to use:

    api = PaymentApi(self, "api", PaymentApiProps(
        naming=naming, domain_name=config.dns.api_hostname, certificate_arn=certificate.arn,
        backend_hostname=config.dns.origin_hostname(region), origin_header=header, user_pools=pools,
        truststore=truststore, logs=log_settings, account=api_gateway_account, web_acl_arn=web_acl.arn,
        cors_origins=("https://shop.example.org",),
    ))
    api.regional_domain_name, api.regional_zone_id   # the Route 53 (failover) alias target
    api.api_key_id, api.stage_arn, api.url

Clients reach the API only through its custom domain, which demands a client certificate issued by
a CA of the truststore (the execute-api endpoint is disabled), and, on every payment route, an API
key counted by the usage plan and a Cognito token of a population the route admits (one authorizer
per set of admitted populations). `GET /health` answers from a mock integration, unauthenticated.
Preflight requests (OPTIONS) answer with CORS headers for the configured origins only. Payment
routes are proxied to the region's payment service over HTTPS (its load balancer's hostname), each
request carrying the origin header the load balancer requires. The stage logs every request as JSON
to a log group with the logs key, logs execution through method settings, traces with X-Ray,
throttles, and sits behind the regional web ACL.

Both regions serve the same custom domain name (the client-facing `api.<domain>`, each with its own
regional certificate for it): Route 53 failover records choose which region's domain answers, and
TLS verifies whichever does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from cdktf import Fn, TerraformResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_api_key import ApiGatewayApiKey
from cdktf_cdktf_provider_aws.api_gateway_authorizer import ApiGatewayAuthorizer
from cdktf_cdktf_provider_aws.api_gateway_base_path_mapping import ApiGatewayBasePathMapping
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_domain_name import (
    ApiGatewayDomainName,
    ApiGatewayDomainNameEndpointConfiguration,
    ApiGatewayDomainNameMutualTlsAuthentication,
)
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_integration_response import ApiGatewayIntegrationResponse
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_response import ApiGatewayMethodResponse
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import (
    ApiGatewayRestApi,
    ApiGatewayRestApiEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage, ApiGatewayStageAccessLogSettings
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import (
    ApiGatewayUsagePlan,
    ApiGatewayUsagePlanApiStages,
    ApiGatewayUsagePlanQuotaSettings,
    ApiGatewayUsagePlanThrottleSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_usage_plan_key import ApiGatewayUsagePlanKey
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from constructs import Construct

from constructs_lib.api_gateway_account import ApiGatewayAccount
from constructs_lib.log_group import EncryptedLogGroup, EncryptedLogGroupProps, LogSettings
from constructs_lib.naming import Naming
from constructs_lib.origin_secret import OriginHeader
from constructs_lib.truststore import Truststore
from constructs_lib.user_pool import UserPool


@dataclass(frozen=True)
class ApiRoute:
    method: str  # GET, POST, ...
    path: str  # as the payment service serves it, e.g. /payments/{payment_id}
    populations: tuple[str, ...]  # who may call it: user pool populations


# The payment service's routes (payment_service/api.py) and who may call each.
PAYMENT_ROUTES = (
    ApiRoute("POST", "/payments", ("merchants",)),
    ApiRoute("GET", "/payments", ("merchants",)),
    ApiRoute("GET", "/payments/{payment_id}", ("merchants", "customers")),
)
HEALTH_PATH = "/health"
CORS_HEADERS = "Authorization,Content-Type,Idempotency-Key,X-Api-Key"
_ORIGIN = re.compile(r"^https://[a-z0-9.-]+(:\d{1,5})?$")
_PATH_PARAMETER = re.compile(r"^\{([a-z_]+)\}$")

# One JSON line per request: who, what, how it ended, how long it took; never a header or a body.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "clientCertSerial": "$context.identity.clientCert.serialNumber",
        "caller": "$context.authorizer.claims.sub",
        "apiKeyId": "$context.identity.apiKeyId",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        "wafResponseCode": "$context.wafResponseCode",
        "errorMessage": "$context.error.message",
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class PaymentApiProps:
    naming: Naming
    domain_name: str  # the API's public name, the same in both regions, e.g. api.pay.example.org
    certificate_arn: str  # a regional ACM certificate covering domain_name
    backend_hostname: str  # the region's payment service, reached over HTTPS
    origin_header: OriginHeader  # sent on every payment route: the load balancer admits nothing else
    user_pools: Mapping[str, UserPool]  # population -> its pool
    truststore: Truststore  # CAs whose client certificates the domain accepts
    logs: LogSettings  # the logs key and the one retention (OPS-1)
    account: ApiGatewayAccount  # the region's logging role, needed before logging is switched on
    web_acl_arn: str  # the regional WAFv2 web ACL (SEC-8)
    cors_origins: tuple[str, ...]  # browser origins allowed to call the API
    throttle_rate_per_second: int = 1000
    throttle_burst: int = 2000
    monthly_quota: int = 100_000  # requests per month for the API key's usage plan
    routes: tuple[ApiRoute, ...] = PAYMENT_ROUTES
    stage_name: str = "v1"
    integration_timeout_ms: int = 29_000  # API Gateway's ceiling for REST integrations

    def __post_init__(self) -> None:
        for route in self.routes:
            unknown = [p for p in route.populations if p not in self.user_pools]
            if not route.populations or unknown:
                raise ValueError(
                    f"route {route.method} {route.path} admits {', '.join(unknown) or 'nobody'}; "
                    f"allowed: one or more of the user pools {', '.join(self.user_pools)}"
                )
        for origin in self.cors_origins:
            if not _ORIGIN.match(origin):
                raise ValueError(f"CORS origin {origin!r} is not an HTTPS origin; allowed: https://host[:port]")
        if self.throttle_rate_per_second < 1 or self.throttle_burst < self.throttle_rate_per_second:
            raise ValueError(
                f"throttling {self.throttle_rate_per_second} rps, burst {self.throttle_burst}; "
                "allowed: a positive rate and a burst at least as large"
            )


class PaymentApi(Construct):
    def __init__(self, scope: Construct, id_: str, props: PaymentApiProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._api = ApiGatewayRestApi(
            self,
            "api",
            name=props.naming.name("payments-api"),
            description=f"Payments API behind {props.domain_name} (mutual TLS)",
            disable_execute_api_endpoint=True,  # only the mutual-TLS custom domain reaches it
            api_key_source="HEADER",
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            # a replaced API serves until its successor exists (the domain's mapping moves over)
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        self._api_id: str = self._api.id  # read once: each read is a round trip to the jsii runtime
        # required path parameters and headers are checked before an authorizer or backend is called
        self._validator = ApiGatewayRequestValidator(
            self,
            "validator",
            rest_api_id=self._api_id,
            name=props.naming.name("parameters"),
            validate_request_parameters=True,
        )
        self._validator_id: str = self._validator.id
        self._resources: dict[str, str] = {"/": self._api.root_resource_id}
        self._authorizers: dict[tuple[str, ...], ApiGatewayAuthorizer] = {}
        self._integrations: list[TerraformResource] = []
        self._add_health()
        methods_by_path: dict[str, list[str]] = {}
        for route in props.routes:
            self._add_route(route)
            methods_by_path.setdefault(route.path, []).append(route.method)
        for path, methods in methods_by_path.items():
            self._add_preflight(path, methods)
        self._stage = self._deploy()
        self._domain = self._serve_on_custom_domain()
        self._meter()
        Wafv2WebAclAssociation(self, "web-acl", resource_arn=self._stage.arn, web_acl_arn=props.web_acl_arn)

    # --- public face ---------------------------------------------------------------------------

    @property
    def api_id(self) -> str:
        return self._api_id

    @property
    def stage_arn(self) -> str:
        return self._stage.arn

    @property
    def url(self) -> str:
        return f"https://{self._props.domain_name}"

    @property
    def regional_domain_name(self) -> str:
        """Route 53 alias target of the custom domain."""
        return self._domain.regional_domain_name

    @property
    def regional_zone_id(self) -> str:
        return self._domain.regional_zone_id

    @property
    def access_log_group_name(self) -> str:
        return self._access_logs.name

    @property
    def execution_log_group_name(self) -> str:
        return self._execution_logs.name

    @property
    def api_key_id(self) -> str:
        return self._api_key.id

    @property
    def usage_plan_id(self) -> str:
        return self._usage_plan.id

    # --- building --------------------------------------------------------------------------------

    def _resource(self, path: str) -> str:
        """The resource ID of a path, creating the resources along it."""
        if path in self._resources:
            return self._resources[path]
        parent, _, part = path.rpartition("/")
        resource = ApiGatewayResource(
            self,
            f"resource{_construct_id(path)}",
            rest_api_id=self._api_id,
            parent_id=self._resource(parent or "/"),
            path_part=part,
        )
        self._resources[path] = resource_id = resource.id
        return resource_id

    def _add_health(self) -> None:
        method = self._method("GET", HEALTH_PATH, authorization="NONE", api_key_required=False)
        self._mock(method, "GET", HEALTH_PATH, response_template='{"status": "ok"}')

    def _add_route(self, route: ApiRoute) -> None:
        authorizer = self._authorizer(route.populations)
        parameters = _path_parameters(route.path)
        method = self._method(
            route.method,
            route.path,
            authorization="COGNITO_USER_POOLS",
            authorizer_id=authorizer.id,
            api_key_required=True,
            request_parameters={f"method.request.path.{name}": True for name in parameters},
        )
        self._integrations.append(
            ApiGatewayIntegration(
                self,
                f"integration-{route.method.lower()}{_construct_id(route.path)}",
                rest_api_id=self._api_id,
                resource_id=method.resource_id,
                http_method=method.http_method,
                type="HTTP_PROXY",
                integration_http_method=route.method,
                uri=f"https://{self._props.backend_hostname}{route.path}",
                request_parameters={
                    **{f"integration.request.path.{name}": f"method.request.path.{name}" for name in parameters},
                    # a static value, quoted: API Gateway sends it on every request to the backend
                    f"integration.request.header.{self._props.origin_header.name}": (
                        f"'{self._props.origin_header.value}'"
                    ),
                },
                timeout_milliseconds=self._props.integration_timeout_ms,
            )
        )

    def _authorizer(self, populations: tuple[str, ...]) -> ApiGatewayAuthorizer:
        """One Cognito authorizer per set of populations: a route admits exactly the pools it names."""
        admitted = tuple(sorted(populations))
        if admitted not in self._authorizers:
            name = "-".join(admitted)
            self._authorizers[admitted] = ApiGatewayAuthorizer(
                self,
                f"authorizer-{name}",
                name=self._props.naming.name(name),
                rest_api_id=self._api_id,
                type="COGNITO_USER_POOLS",
                provider_arns=[self._props.user_pools[population].arn for population in admitted],
                identity_source="method.request.header.Authorization",
            )
        return self._authorizers[admitted]

    def _add_preflight(self, path: str, methods: list[str]) -> None:
        """OPTIONS answers with the CORS headers, naming the caller's origin only when it is configured."""
        method = self._method("OPTIONS", path, authorization="NONE", api_key_required=False)
        allowed = " || ".join(f'$origin == "{origin}"' for origin in self._props.cors_origins) or "false"
        template = "\n".join(
            [
                '#set($origin = $input.params().header.get("Origin"))',
                f"#if({allowed})",
                "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)",
                "#end",
            ]
        )
        self._mock(
            method,
            "OPTIONS",
            path,
            response_template=template,
            response_parameters={
                "method.response.header.Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
                "method.response.header.Access-Control-Allow-Methods": f"'{','.join([*methods, 'OPTIONS'])}'",
                "method.response.header.Vary": "'Origin'",
            },
        )

    def _method(
        self,
        http_method: str,
        path: str,
        *,
        authorization: str,
        api_key_required: bool,
        authorizer_id: str | None = None,
        request_parameters: Mapping[str, bool] | None = None,
    ) -> ApiGatewayMethod:
        return ApiGatewayMethod(
            self,
            f"method-{http_method.lower()}{_construct_id(path)}",
            rest_api_id=self._api_id,
            resource_id=self._resource(path),
            http_method=http_method,
            authorization=authorization,
            authorizer_id=authorizer_id,
            api_key_required=api_key_required,
            request_parameters=dict(request_parameters or {}),
            request_validator_id=self._validator_id,
        )

    def _mock(
        self,
        method: ApiGatewayMethod,
        http_method: str,
        path: str,
        *,
        response_template: str,
        response_parameters: Mapping[str, str] | None = None,
    ) -> None:
        """Answer 200 from API Gateway itself: the method response, the mock and its mapped answer.
        `http_method` is `method`'s, as written: read back from the binding it is a token, and construct
        IDs made from a token change whenever anything before them creates one more."""
        suffix = f"{http_method.lower()}{_construct_id(path)}"
        headers = {name.split(".")[-1] for name in (response_parameters or {})}
        if "Access-Control-Allow-Methods" in headers:
            headers.add("Access-Control-Allow-Origin")  # set by the template when the origin is allowed
        declared = ApiGatewayMethodResponse(
            self,
            f"response-{suffix}",
            rest_api_id=self._api_id,
            resource_id=method.resource_id,
            http_method=method.http_method,
            status_code="200",
            response_parameters={f"method.response.header.{header}": True for header in sorted(headers)},
        )
        integration = ApiGatewayIntegration(
            self,
            f"integration-{suffix}",
            rest_api_id=self._api_id,
            resource_id=method.resource_id,
            http_method=method.http_method,
            type="MOCK",
            request_templates={"application/json": '{"statusCode": 200}'},
        )
        answer = ApiGatewayIntegrationResponse(
            self,
            f"integration-response-{suffix}",
            rest_api_id=self._api_id,
            resource_id=method.resource_id,
            http_method=method.http_method,
            status_code="200",
            response_templates={"application/json": response_template},
            response_parameters=dict(response_parameters or {}),
            depends_on=[integration, declared],
        )
        self._integrations.extend([declared, integration, answer])

    def _deploy(self) -> ApiGatewayStage:
        props = self._props
        deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=self._api_id,
            description=f"Payments API for {props.backend_hostname}",
            # a new deployment whenever what the API serves changes; the stage moves to it
            # the origin header's value too (hashed): a deployment snapshots the integrations, so a
            # rotated value reaches the stage only through a new deployment
            triggers={"redeployment": _fingerprint(props), "origin_header": Fn.sha256(props.origin_header.value)},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=self._integrations,
        )
        self._access_logs = access_logs = EncryptedLogGroup(
            self,
            "access-logs",
            EncryptedLogGroupProps(f"/apigateway/{props.naming.name('payments-api-access')}", props.logs),
        )
        # API Gateway would create the execution log group itself, unencrypted and kept forever
        self._execution_logs = execution_logs = EncryptedLogGroup(
            self,
            "execution-logs",
            EncryptedLogGroupProps(f"API-Gateway-Execution-Logs_{self._api_id}/{props.stage_name}", props.logs),
        )
        stage = ApiGatewayStage(
            self,
            "stage",
            rest_api_id=self._api_id,
            deployment_id=deployment.id,
            stage_name=props.stage_name,
            xray_tracing_enabled=True,
            access_log_settings=ApiGatewayStageAccessLogSettings(
                destination_arn=access_logs.arn, format=ACCESS_LOG_FORMAT
            ),
            depends_on=[props.account.settings, _resource_of(execution_logs)],
        )
        ApiGatewayMethodSettings(
            self,
            "method-settings",
            rest_api_id=self._api_id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings=ApiGatewayMethodSettingsSettings(
                logging_level="INFO",
                metrics_enabled=True,
                data_trace_enabled=False,  # full request logging would write tokens and card data
                throttling_rate_limit=props.throttle_rate_per_second,
                throttling_burst_limit=props.throttle_burst,
            ),
            depends_on=[props.account.settings],
        )
        return stage

    def _serve_on_custom_domain(self) -> ApiGatewayDomainName:
        props = self._props
        domain = ApiGatewayDomainName(
            self,
            "domain",
            domain_name=props.domain_name,
            regional_certificate_arn=props.certificate_arn,
            endpoint_configuration=ApiGatewayDomainNameEndpointConfiguration(types=["REGIONAL"]),
            security_policy="TLS_1_2",
            mutual_tls_authentication=ApiGatewayDomainNameMutualTlsAuthentication(
                truststore_uri=props.truststore.uri, truststore_version=props.truststore.version
            ),
        )
        ApiGatewayBasePathMapping(
            self, "base-path", api_id=self._api_id, stage_name=self._stage.stage_name, domain_name=domain.domain_name
        )
        return domain

    def _meter(self) -> None:
        props = self._props
        self._api_key = ApiGatewayApiKey(
            self, "api-key", name=props.naming.name("payments-api-key"), description="Meters callers", enabled=True
        )
        self._usage_plan = ApiGatewayUsagePlan(
            self,
            "usage-plan",
            name=props.naming.name("payments-api"),
            description=f"{props.monthly_quota} requests a month, {props.throttle_rate_per_second} rps",
            api_stages=[ApiGatewayUsagePlanApiStages(api_id=self._api_id, stage=self._stage.stage_name)],
            throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                rate_limit=props.throttle_rate_per_second, burst_limit=props.throttle_burst
            ),
            quota_settings=ApiGatewayUsagePlanQuotaSettings(limit=props.monthly_quota, period="MONTH"),
        )
        ApiGatewayUsagePlanKey(
            self, "usage-plan-key", key_id=self._api_key.id, key_type="API_KEY", usage_plan_id=self._usage_plan.id
        )


def _resource_of(log_group: EncryptedLogGroup) -> TerraformResource:
    """The log group resource itself, so the stage can wait for it (constructs cannot be depended on)."""
    return cast(TerraformResource, log_group.node.find_child("group"))


def _path_parameters(path: str) -> list[str]:
    return [match.group(1) for part in path.split("/") if (match := _PATH_PARAMETER.match(part))]


def _construct_id(path: str) -> str:
    """/payments/{payment_id} -> -payments-payment_id: a stable construct ID per path."""
    return "".join(f"-{part.strip('{}')}" for part in path.split("/") if part)


def _fingerprint(props: PaymentApiProps) -> str:
    served = {
        "routes": [(r.method, r.path, r.populations) for r in props.routes],
        "backend": props.backend_hostname,
        "origin_header": props.origin_header.name,
        "cors": list(props.cors_origins),
        "timeout": props.integration_timeout_ms,
    }
    return hashlib.sha256(json.dumps(served, sort_keys=True).encode()).hexdigest()
