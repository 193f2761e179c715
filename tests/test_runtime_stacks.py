"""The payment service's runtime as the regional stacks compose it, read from the session's synthesized
JSON (APP-2..APP-6, SEC-5, SEC-8, SEC-9, EDGE-5, DC-10, OPS-1, QA-1).

`synthesized` holds the shipped environments (deploy switch off); `deployed` is dev with the switch on.
Terraform's own view (plans, applies) is in tests/plan/test_runtime_plans.py.
"""

from __future__ import annotations

import json

import pytest

from config import load
from constructs_lib.origin_secret import HEADER_NAME
from tests.support.constructs import synth_construct
from tests.support.iam import ONLY_ON_EVERYTHING

ENVS = ["dev", "staging", "prod"]
REGIONAL = ["primary", "secondary"]
CONTRACT_OUTPUTS = (
    "load_balancer_arn",
    "load_balancer_dns_name",
    "load_balancer_zone_id",
    "origin_hostname",
    "origin_secret_arn",
    "ecr_repository_url",
    "ecs_cluster_name",
)
# Actions AWS grants only on "*" (SEC-5); every other action names its resources.


def _region(env: str, role: str) -> str:
    regions = load(env).regions
    return (regions.primary if role == "primary" else regions.secondary).name


def _containers(stack: dict) -> dict[str, dict]:
    definitions = stack["resource"]["aws_ecs_task_definition"].values()
    return {d["family"]: c for d in definitions for c in json.loads(d["container_definitions"])}


def _environment(container: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["environment"]}


def _ref(stack: dict, type_: str, path: str, attribute: str) -> str:
    """`${type.logical.attribute}` of the one resource of this type whose construct path ends with `path`."""
    found = [
        logical
        for logical, body in stack["resource"][type_].items()
        if body["//"]["metadata"]["path"].endswith(f"/{path}")
    ]
    assert len(found) == 1, f"{type_} at {path}: {found}"
    return f"${{{type_}.{found[0]}.{attribute}}}"


def _statements(stack: dict):
    for logical, body in stack["resource"].get("aws_iam_role_policy", {}).items():
        for statement in json.loads(body["policy"])["Statement"]:
            yield logical, statement


def _listed(value) -> list:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.req("DC-10")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize("env", ENVS)
def test_runtime_outputs_exist_with_descriptions_in_both_regions(synthesized, env, role):
    outputs = synthesized[env].stack(role)["output"]
    for name in CONTRACT_OUTPUTS:
        assert outputs[name]["description"].strip(), name
    domain = load(env).dns.domain
    assert outputs["origin_hostname"]["value"] == f"origin.{_region(env, role)}.{domain}"
    assert "ecs_service_name" not in outputs, "no service, no output naming one"


@pytest.mark.req("EDGE-5")
@pytest.mark.req("SEC-9")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize("env", ENVS)
def test_the_https_listener_uses_a_certificate_validated_for_the_origin_name_in_the_hosted_zone(synthesized, env, role):
    stack = synthesized[env].stack(role)
    config = load(env)
    origin = f"origin.{_region(env, role)}.{config.dns.domain}"
    certificate = stack["resource"]["aws_acm_certificate"][
        _ref(stack, "aws_acm_certificate", "runtime/certificate/certificate", "id").split(".")[1]
    ]
    assert certificate["domain_name"] == origin
    assert certificate["validation_method"] == "DNS"
    assert {r["zone_id"] for r in stack["resource"]["aws_route53_record"].values()} == {config.dns.hosted_zone_id}
    (https,) = [listener for listener in stack["resource"]["aws_lb_listener"].values() if listener["port"] == 443]
    assert https["certificate_arn"] == _ref(
        stack, "aws_acm_certificate_validation", "runtime/certificate/validation-complete", "certificate_arn"
    )
    assert "arn:aws:acm" not in json.dumps(stack), "no certificate ARN written by hand"


@pytest.mark.req("EDGE-5")
@pytest.mark.req("APP-6")
def test_a_config_without_hosted_zone_uses_its_imported_certificate_and_requests_none():
    from stacks.runtime import issued_certificate

    arn = "arn:aws:acm:us-west-2:210987654321:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
    config = load("dev")
    own = config.model_copy(
        update={"dns": config.dns.model_copy(update={"hosted_zone_id": None, "certificate_arns": {"us-west-2": arn}})}
    )
    found = {}
    synth = synth_construct(lambda stack: found.update(cert=issued_certificate(stack, own, "us-west-2", "x.y.z")))
    assert found["cert"].arn == arn
    assert synth.resources("aws_acm_certificate") == {} and synth.resources("aws_route53_record") == {}


@pytest.mark.req("APP-6")
@pytest.mark.req("EDGE-3")
@pytest.mark.parametrize("role", REGIONAL)
def test_the_origin_header_value_is_generated_write_only_and_read_back_for_the_listener_rules(dev, role):
    stack = dev.stack(role)
    (version,) = [
        v
        for v in stack["resource"]["aws_secretsmanager_secret_version"].values()
        if "origin-secret" in v["//"]["metadata"]["path"]
    ]
    # the value is generated by an ephemeral block and written only through the write-only argument
    generator = stack["ephemeral"]["aws_secretsmanager_random_password"]["runtime_origin_secret_value"]
    assert generator["password_length"] >= 32
    assert version["secret_string_wo"] == (
        "${ephemeral.aws_secretsmanager_random_password.runtime_origin_secret_value.random_password}"
    )
    assert "secret_string" not in version
    (read,) = stack["data"]["aws_secretsmanager_secret_version"].values()
    assert read["secret_id"] == _ref(stack, "aws_secretsmanager_secret", "origin-secret/secret", "id")
    assert read["depends_on"] == [
        f"aws_secretsmanager_secret_version.{_logical(stack, 'aws_secretsmanager_secret_version', 'origin-secret/version')}"
    ]
    # every rule but GET /health requires the header with the value read back
    value = _data_ref(stack)
    rules = stack["resource"]["aws_lb_listener_rule"].values()
    origin = {"http_header": {"http_header_name": HEADER_NAME, "values": [value]}}
    assert sorted(origin in rule["condition"] for rule in rules) == [False, True, True]
    assert stack["output"]["origin_secret_arn"]["value"] == _ref(
        stack, "aws_secretsmanager_secret", "origin-secret/secret", "arn"
    )


def _logical(stack: dict, type_: str, path: str) -> str:
    return _ref(stack, type_, path, "x").removeprefix("${").split(".")[1]


def _data_ref(stack: dict) -> str:
    (logical,) = stack["data"]["aws_secretsmanager_secret_version"]
    return f"${{data.aws_secretsmanager_secret_version.{logical}.secret_string}}"


@pytest.mark.req("APP-2")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize("env", ENVS)
def test_each_region_runs_the_configured_tag_from_its_own_scanned_immutable_repository(synthesized, env, role):
    config = load(env)
    stack = synthesized[env].stack(role)
    repository = synthesized[env].only(role, "aws_ecr_repository")
    assert repository["name"] == f"meridian-payment-service-{env}"
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"] == {"scan_on_push": True}
    assert repository["encryption_configuration"] == [
        {"encryption_type": "KMS", "kms_key": _ref(stack, "aws_kms_key", "keys/ecr/key", "arn")}
    ]
    image = f"{config.accounts.own}.dkr.ecr.{_region(env, role)}.amazonaws.com/meridian-payment-service-{env}:{config.service.image.tag}"
    assert {c["image"] for c in _containers(stack).values()} == {image}


@pytest.mark.req("APP-3")
@pytest.mark.req("QA-1")
@pytest.mark.parametrize("variant", ["dev", "staging", "prod", "dev-deployed"])
def test_every_container_is_non_root_read_only_unprivileged_with_an_init_process(every_variant, variant):
    # Checkov's privileged-container check never fires on cdktf JSON (container definitions are a
    # JSON string), so this test is the proof: GIVEN every task definition of both regional stacks
    for role in REGIONAL:
        containers = _containers(every_variant[variant].stack(role))
        assert len(containers) == 2, role
        for family, container in containers.items():
            # THEN its process runs as a non-root user and cannot write its root filesystem
            user, _, group = container["user"].partition(":")
            assert user.isdigit() and int(user) > 0 and group.isdigit() and int(group) > 0, family
            assert container["readonlyRootFilesystem"] is True, family
            # AND cannot gain privileges: not privileged, every capability dropped and none added
            assert container["privileged"] is False, family
            linux = container["linuxParameters"]
            assert linux["capabilities"] == {"add": [], "drop": ["ALL"]}, family
            # AND an init process reaps children and forwards signals
            assert linux["initProcessEnabled"] is True, family
            assert {m["containerPath"] for m in container["mountPoints"] if not m["readOnly"]} <= {
                "/tmp",
                "/mnt/documents",
            }


@pytest.mark.req("APP-3")
@pytest.mark.req("DATA-5")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize("env", ENVS)
def test_the_service_gets_its_regions_cache_user_stream_and_one_worker_per_vcpu(synthesized, env, role):
    config = load(env)
    stack = synthesized[env].stack(role)
    environment = _environment(_containers(stack)[f"meridian-payment-service-{env}"])
    endpoint = _ref(stack, "aws_elasticache_replication_group", "cache/group", "primary_endpoint_address")
    assert environment["REDIS_URL"] == f"rediss://{endpoint}:6379/0"
    assert environment["REDIS_USER"] == f"meridian-cache-{env}-app"
    assert environment["REDIS_REPLICATION_GROUP_ID"] == _ref(
        stack, "aws_elasticache_replication_group", "cache/group", "replication_group_id"
    )
    assert environment["PAYMENT_EVENTS_STREAM"] == _ref(stack, "aws_kinesis_stream", "payments/stream", "name")
    assert environment["AWS_REGION"] == _region(env, role)
    assert environment["STARTUP_DELAY_SECONDS"] == "30"
    (definition,) = [
        d
        for d in stack["resource"]["aws_ecs_task_definition"].values()
        if d["family"] == f"meridian-payment-service-{env}"
    ]
    assert definition["cpu"] == str(config.service.cpu_units)
    assert environment["WEB_CONCURRENCY"] == str(config.service.vcpus) == str(int(definition["cpu"]) // 1024)


@pytest.mark.req("APP-3")
@pytest.mark.req("SEC-5")
@pytest.mark.parametrize("env", ENVS)
def test_each_region_reads_its_own_copy_of_the_database_secrets_with_a_key_of_its_own_region(synthesized, env):
    for role in REGIONAL:
        stack = synthesized[env].stack(role)
        service = _environment(_containers(stack)[f"meridian-payment-service-{env}"])
        migrate = _environment(_containers(stack)[f"meridian-payment-migrate-{env}"])
        secret = service["DB_SECRET_ARN"]
        assert migrate["DB_SECRET_ARN"] == secret and migrate["DB_MASTER_SECRET_ARN"] != secret
        if role == "primary":
            assert secret == _ref(stack, "aws_secretsmanager_secret", "credentials/app/secret", "arn")
        else:  # the replica's ARN, through the primary stack's outputs, never a pasted ARN
            assert secret.startswith("${data.terraform_remote_state.") and "credentials_app_replica-arn" in secret
        decrypts = [
            s for _, s in _statements(stack) if s["Action"] == "kms:Decrypt" and s["Sid"].startswith("SecretsKey")
        ]
        own = _region(env, role)
        assert decrypts and all(
            s["Condition"] == {"StringEquals": {"kms:ViaService": f"secretsmanager.{own}.amazonaws.com"}}
            for s in decrypts
        )


@pytest.mark.req("SEC-5")
@pytest.mark.parametrize("variant", ["dev", "staging", "prod", "dev-deployed"])
def test_no_role_of_a_regional_stack_has_a_data_action_on_star(every_variant, variant):
    for role in REGIONAL:
        for logical, statement in _statements(every_variant[variant].stack(role)):
            actions = _listed(statement["Action"])
            assert not [a for a in actions if a in ("*", "s3:*", "kms:*", "secretsmanager:*")], (logical, statement)
            if "*" in _listed(statement["Resource"]):
                assert set(actions) <= ONLY_ON_EVERYTHING, (logical, statement)


@pytest.mark.req("SEC-8")
@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize("env", ENVS)
def test_the_regional_web_acls_protect_the_alb_and_the_api_stage_and_log_to_encrypted_waf_log_groups(
    synthesized, env, role
):
    stack = synthesized[env].stack(role)
    acls = synthesized[env].resources(role, "aws_wafv2_web_acl")
    # the load balancer and the API stage each have their own ACL: one sees relays, the other clients (SEC-8)
    associations = synthesized[env].resources(role, "aws_wafv2_web_acl_association").values()
    assert {(a["resource_arn"], a["web_acl_arn"]) for a in associations} == {
        (_ref(stack, "aws_lb", "alb/alb", "arn"), _ref(stack, "aws_wafv2_web_acl", "runtime/waf/acl", "arn")),
        (
            _ref(stack, "aws_api_gateway_stage", "api/stage", "arn"),
            _ref(stack, "aws_wafv2_web_acl", "edge/waf/acl", "arn"),
        ),
    }
    assert len(acls) == 2
    for acl in acls.values():
        assert acl["scope"] == "REGIONAL"
        groups = {
            r["statement"]["managed_rule_group_statement"]["name"]
            for r in acl["rule"]
            if "managed_rule_group_statement" in r["statement"]
        }
        assert groups >= {
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesSQLiRuleSet",
            "AWSManagedRulesAmazonIpReputationList",
        }
        assert any("rate_based_statement" in r["statement"] for r in acl["rule"])
    # each ACL logs to its own aws-waf-logs-* group with the logs key and the one retention (OPS-1)
    loggings = synthesized[env].resources(role, "aws_wafv2_web_acl_logging_configuration").values()
    assert {(c["resource_arn"], tuple(c["log_destination_configs"])) for c in loggings} == {
        (
            _ref(stack, "aws_wafv2_web_acl", f"{owner}/waf/acl", "arn"),
            (_ref(stack, "aws_cloudwatch_log_group", f"{owner}/waf/logs/group", "arn"),),
        )
        for owner in ("runtime", "edge")
    }
    groups = [
        g for g in stack["resource"]["aws_cloudwatch_log_group"].values() if g["name"].startswith("aws-waf-logs-")
    ]
    assert len(groups) == 2
    for group in groups:
        assert group["kms_key_id"] == _ref(stack, "aws_kms_key", "keys/logs/key", "arn")
        assert group["retention_in_days"] == load(env).retention.log_days


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("env", ENVS)
def test_ecs_log_groups_use_the_logs_key_and_the_one_retention(synthesized, env):
    for role in REGIONAL:
        stack = synthesized[env].stack(role)
        groups = {
            g["name"]: g
            for g in stack["resource"]["aws_cloudwatch_log_group"].values()
            if g["name"].startswith("/ecs/")
        }
        assert set(groups) == {f"/ecs/meridian-payment-service-{env}", f"/ecs/meridian-payment-migrate-{env}"}
        for group in groups.values():
            assert group["kms_key_id"] == _ref(stack, "aws_kms_key", "keys/logs/key", "arn")
            assert group["retention_in_days"] == load(env).retention.log_days


@pytest.mark.req("APP-4")
@pytest.mark.req("APP-5")
@pytest.mark.parametrize("role", REGIONAL)
def test_service_scaling_and_alarms_exist_only_with_the_deploy_switch_on(synthesized, deployed, role):
    service_types = ("aws_ecs_service", "aws_appautoscaling_target", "aws_appautoscaling_policy")
    for env in ENVS:
        assert load(env).service.deploy is False, f"{env} ships with the service switched off"
        resources = synthesized[env].stack(role)["resource"]
        assert not [t for t in service_types if resources.get(t)], env
        alarms = resources.get("aws_cloudwatch_metric_alarm", {}).values()
        assert not [a for a in alarms if a["alarm_name"].startswith("meridian-payment-service-")], env
    resources = deployed.stack(role)["resource"]
    assert [len(resources[t]) for t in service_types] == [1, 1, 3]
    (service,) = resources["aws_ecs_service"].values()
    assert service["network_configuration"]["security_groups"] == [
        _ref(deployed.stack(role), "aws_security_group", "stores/app-security/group", "id")
    ]
    assert deployed.stack(role)["output"]["ecs_service_name"]["description"].strip()
