"""QA-1 / APP-3 / SEC-5: the payment service's task definitions, their container and their roles.

Checkov's privileged-container check never fires on cdktf JSON (the container definitions are a
JSON string it does not read for that check), so these tests prove non-root, read-only and no
privilege escalation themselves.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from constructs_lib.ecr import ImageRepository, ImageRepositoryProps
from constructs_lib.fargate_task import FargateTask, FargateTaskProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.log_group import LogSettings
from constructs_lib.payment_tasks import HEALTH_CHECK
from payment_service.app import create_app
from payment_service.config import ConfigError, Settings
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, synth_construct
from tests.support.runtime import DATABASE_HOST, REDIS, address, build_runtime, container, role_policy, task_definition
from tests.support.synth import ROOT

SERVICE = "meridian-payment-service-test"
MIGRATE = "meridian-payment-migrate-test"
ROLE = "meridian-payment-{task}-{kind}-eu-west-1-test"
# Actions AWS grants only on "*" (SEC-5); every other action must name its resources.
AWS_ONLY_ON_STAR = {"ecr:GetAuthorizationToken", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _statements(runtime, task: str, kind: str) -> list[dict]:
    return role_policy(runtime, ROLE.format(task=task, kind=kind))


def _actions(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def _resources(statement: dict) -> list[str]:
    return [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]


@pytest.mark.req("APP-3")
@pytest.mark.req("QA-1")
@pytest.mark.parametrize("family", [SERVICE, MIGRATE])
def test_container_is_non_root_read_only_unprivileged_with_an_init_process(runtime, family):
    # GIVEN the service and the migration task, WHEN their container definitions are read
    definition = container(runtime, family)
    # THEN the process runs as the image's non-root user, cannot write its root filesystem,
    # and has no way to gain privileges: not privileged, every capability dropped, none added
    uid, gid = definition["user"].split(":")
    assert int(uid) > 0 and int(gid) > 0
    assert definition["readonlyRootFilesystem"] is True
    assert definition["privileged"] is False
    assert definition["linuxParameters"]["capabilities"] == {"add": [], "drop": ["ALL"]}
    assert definition["linuxParameters"]["initProcessEnabled"] is True
    # the only writable paths are the task-local tmp volume and (service only) the EFS access point
    writable = {m["containerPath"] for m in definition["mountPoints"] if not m["readOnly"]}
    assert writable == ({"/tmp", "/mnt/documents"} if family == SERVICE else {"/tmp"})


@pytest.mark.req("APP-3")
def test_the_container_health_check_is_the_one_the_image_runs(runtime):
    # GIVEN the image's HEALTHCHECK in payment_service/Dockerfile
    dockerfile = (ROOT / "payment_service" / "Dockerfile").read_text().replace("\\\n", " ")
    line = re.search(r"^HEALTHCHECK (.*)$", dockerfile, re.MULTILINE).group(1)
    options, _, command = line.partition(" CMD ")
    image = {k: int(v.rstrip("s")) for k, v in re.findall(r"--([a-z-]+)=(\w+)", options)}
    # WHEN the task definition is synthesized, THEN ECS runs the same command with the same timing
    check = container(runtime, SERVICE)["healthCheck"]
    assert check["command"] == ["CMD", *json.loads(command)]
    assert (check["interval"], check["timeout"], check["retries"], check["startPeriod"]) == (
        image["interval"],
        image["timeout"],
        image["retries"],
        image["start-period"],
    )
    assert HEALTH_CHECK.start_period_seconds > 30, "the start period outlasts STARTUP_DELAY_SECONDS"
    assert "healthCheck" not in container(runtime, MIGRATE), "a one-off task has no health to check"


@pytest.mark.req("APP-3")
def test_service_environment_names_cache_stream_region_delay_and_one_worker_per_vcpu(runtime):
    environment = {e["name"]: e["value"] for e in container(runtime, SERVICE)["environment"]}
    assert environment["REDIS_URL"] == f"rediss://{REDIS.endpoint}:6379/0"  # TLS to the cache
    assert environment["REDIS_USER"] == REDIS.user_name
    assert environment["REDIS_REPLICATION_GROUP_ID"] == REDIS.replication_group_id
    assert environment["PAYMENT_EVENTS_STREAM"] == f"${{{address(runtime, 'aws_kinesis_stream', 'stream')}.name}}"
    assert environment["AWS_REGION"] == TEST_REGION
    assert environment["STARTUP_DELAY_SECONDS"] == "30"
    definition = task_definition(runtime, SERVICE)
    assert definition["cpu"] == "2048" and environment["WEB_CONCURRENCY"] == "2"
    assert environment["UVICORN_PORT"] == "8080"
    assert container(runtime, SERVICE)["portMappings"] == [{"containerPort": 8080, "protocol": "tcp", "name": "http"}]


TERRAFORM_REFERENCE = re.compile(r"\$\{[^}]*\}")


def _environment_at_run_time(runtime, family: str) -> dict[str, str]:
    """The container's environment with each Terraform reference replaced by a value of its own, as
    ECS hands it to the process once the references are resolved."""
    return {
        e["name"]: TERRAFORM_REFERENCE.sub(
            lambda ref: f"tf{hashlib.sha256(ref.group(0).encode()).hexdigest()[:12]}", e["value"]
        )
        for e in container(runtime, family)["environment"]
    }


def _refusal(start, env: dict[str, str]) -> str | None:
    try:
        start(env)
    except ConfigError as error:
        return str(error)
    return None


def _start_service(env: dict[str, str]) -> None:
    create_app(Settings.from_env(env))  # the service's own start-up checks; it connects to nothing yet


@pytest.mark.req("APP-3")
@pytest.mark.req("DATA-5")
def test_the_service_starts_with_the_synthesized_environment_as_a_deployed_task(runtime):
    # GIVEN the service's environment as the task definition sets it
    env = _environment_at_run_time(runtime, SERVICE)
    # WHEN the service's own configuration code reads it, THEN it starts: nothing it refuses to run without is missing
    assert _refusal(_start_service, env) is None
    settings = Settings.from_env(env)
    # AND it is the deployed shape: the rotating secret, Redis over TLS as the IAM user of the
    # replication group (no AUTH token anywhere), and the two user pools of the props
    assert settings.database.secret_arn and not settings.database.url
    assert settings.redis.tls and settings.redis.iam_auth and not settings.redis.auth_token
    assert (settings.redis.user, settings.redis.replication_group_id) == (REDIS.user_name, REDIS.replication_group_id)
    assert settings.auth is not None
    for population in (settings.auth.merchants, settings.auth.customers):
        assert (
            population.issuer.startswith("https://")
            and population.jwks_url == f"{population.issuer}/.well-known/jwks.json"
        )
    # AND each setting whose absence the configuration refuses is named by that refusal
    refusals = {name: _refusal(_start_service, {k: v for k, v in env.items() if k != name}) for name in env}
    required = {name for name, refusal in refusals.items() if refusal}
    assert required >= {"DB_SECRET_ARN", "REDIS_USER", "AWS_REGION"} | {
        name for name in env if name.endswith(("_ISSUER", "_AUDIENCE"))
    }
    assert all(name in refusals[name] for name in required), refusals


@pytest.mark.req("APP-3")
def test_the_migration_starts_with_the_synthesized_environment_and_logs_in_as_master(runtime):
    env = _environment_at_run_time(runtime, MIGRATE)
    assert _refusal(Settings.from_env, env) is None
    settings = Settings.from_env(env).database
    assert settings.secret_arn and settings.master_secret_arn and settings.secret_arn != settings.master_secret_arn


@pytest.mark.req("APP-3")
@pytest.mark.req("SEC-3")
def test_database_credentials_come_from_secrets_manager_never_from_the_definition(runtime):
    # The service reads the application secret at run time (it re-reads it after a rotation);
    # the migration also reads the master secret. Only ARNs appear, never a credential.
    app = f"${{{address(runtime, 'aws_secretsmanager_secret', 'app-secret')}.arn}}"
    master = f"${{{address(runtime, 'aws_secretsmanager_secret', 'master-secret')}.arn}}"
    service = {e["name"]: e["value"] for e in container(runtime, SERVICE)["environment"]}
    migrate = {e["name"]: e["value"] for e in container(runtime, MIGRATE)["environment"]}
    assert service["DB_SECRET_ARN"] == app and "DB_MASTER_SECRET_ARN" not in service
    assert (migrate["DB_SECRET_ARN"], migrate["DB_MASTER_SECRET_ARN"]) == (app, master)
    # AND both reach the writer by the host they are given (the global writer endpoint, DC-3)
    assert service["DB_HOST"] == migrate["DB_HOST"] == DATABASE_HOST
    for family in (SERVICE, MIGRATE):
        names = " ".join(e["name"] for e in container(runtime, family)["environment"])
        assert not re.search(r"PASSWORD|TOKEN|DATABASE_URL", names), names
    assert container(runtime, MIGRATE)["command"] == ["python", "-m", "payment_service", "migrate"]


@pytest.mark.req("APP-3")
@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("family", [SERVICE, MIGRATE])
def test_each_task_logs_to_its_own_cmk_log_group_with_the_one_retention(runtime, family):
    logs = container(runtime, family)["logConfiguration"]
    assert logs["logDriver"] == "awslogs" and logs["options"]["awslogs-region"] == TEST_REGION
    (group_logical,) = [
        lg for lg, g in runtime.resources("aws_cloudwatch_log_group").items() if g["name"] == f"/ecs/{family}"
    ]
    group = runtime.resources("aws_cloudwatch_log_group")[group_logical]
    assert logs["options"]["awslogs-group"] == f"${{aws_cloudwatch_log_group.{group_logical}.name}}"
    assert group["kms_key_id"] == f"${{{address(runtime, 'aws_kms_key', 'keys/logs')}.arn}}"
    assert group["retention_in_days"] == 365


@pytest.mark.req("APP-3")
def test_efs_access_point_is_mounted_with_iam_authorization_and_tls(runtime):
    volumes = {v["name"]: v for v in task_definition(runtime, SERVICE)["volume"]}
    efs = volumes["efs"]["efs_volume_configuration"]
    assert efs["transit_encryption"] == "ENABLED"
    assert efs["authorization_config"] == {
        "access_point_id": f"${{{address(runtime, 'aws_efs_access_point', 'access-point')}.id}}",
        "iam": "ENABLED",
    }
    assert volumes["tmp"] == {"name": "tmp"}, "task-local storage, nothing from the host"
    assert {v["name"] for v in task_definition(runtime, MIGRATE)["volume"]} == {"tmp"}


@pytest.mark.req("APP-3")
@pytest.mark.parametrize("family", [SERVICE, MIGRATE])
def test_fargate_task_runs_in_awsvpc_with_separate_execution_and_task_roles(runtime, family):
    definition = task_definition(runtime, family)
    assert definition["requires_compatibilities"] == ["FARGATE"] and definition["network_mode"] == "awsvpc"
    assert definition["execution_role_arn"] != definition["task_role_arn"]


@pytest.mark.req("SEC-5")
def test_no_role_has_a_data_action_on_star_or_a_wildcard_action(runtime):
    # GIVEN every role of the runtime composition
    policies = runtime.resources("aws_iam_role_policy")
    assert len(policies) == 4
    for body in policies.values():
        for statement in json.loads(body["policy"])["Statement"]:
            actions = _actions(statement)
            # THEN no action is a wildcard and only AWS-only-on-* actions have Resource "*"
            assert not [a for a in actions if "*" in a and not a.startswith("kms:GenerateDataKey")], statement
            if "*" in _resources(statement):
                assert set(actions) <= AWS_ONLY_ON_STAR, statement
            assert statement["Effect"] == "Allow"


@pytest.mark.req("SEC-5")
def test_execution_role_pulls_this_repository_and_writes_its_own_log_group_only(runtime):
    statements = _statements(runtime, "service", "execution")
    actions = sorted(a for s in statements for a in _actions(s))
    assert actions == sorted(
        [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:GetAuthorizationToken",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogStreams",
        ]
    )
    group = address(runtime, "aws_cloudwatch_log_group", "payment/service/logs")
    (logs,) = [s for s in statements if "logs:PutLogEvents" in s["Action"]]
    assert logs["Resource"] == [f"${{{group}.arn}}", f"${{{group}.arn}}:log-stream:*"]


@pytest.mark.req("SEC-5")
def test_task_role_reaches_exactly_the_named_stream_bucket_topic_cache_file_system_and_secret(runtime):
    by_action = {}
    for statement in _statements(runtime, "service", "task"):
        for action in _actions(statement):
            by_action.setdefault(action, []).append(statement)

    def only(action: str) -> dict:
        (statement,) = by_action.pop(action)
        return statement

    assert only("kinesis:PutRecord")["Resource"] == f"${{{address(runtime, 'aws_kinesis_stream', 'stream')}.arn}}"
    bucket = f"${{{address(runtime, 'aws_s3_bucket', 'documents')}.arn}}"
    assert only("s3:GetObject")["Resource"] == only("s3:PutObject")["Resource"] == f"{bucket}/*"
    assert only("s3:ListBucket")["Resource"] == bucket
    assert only("sns:Publish")["Resource"] == f"${{{address(runtime, 'aws_sns_topic', 'alerts')}.arn}}"
    assert only("elasticache:Connect")["Resource"] == [REDIS.replication_group_arn, REDIS.user_arn]
    mount = only("elasticfilesystem:ClientMount")
    assert mount is only("elasticfilesystem:ClientWrite")
    assert mount["Resource"] == f"${{{address(runtime, 'aws_efs_file_system', 'efs')}.arn}}"
    assert mount["Condition"] == {
        "StringEquals": {
            "elasticfilesystem:AccessPointArn": f"${{{address(runtime, 'aws_efs_access_point', 'access-point')}.arn}}"
        }
    }
    assert only("secretsmanager:GetSecretValue")["Resource"] == (
        f"${{{address(runtime, 'aws_secretsmanager_secret', 'app-secret')}.arn}}"
    )
    # every key use names one key and the service that holds the data it protects
    key_uses = {s["Sid"]: s for action, found in by_action.items() if action.startswith("kms:") for s in found}
    expected = {"secrets": "secretsmanager", "s3": "s3", "sns": "sns"}
    assert {(s["Resource"], s["Condition"]["StringEquals"]["kms:ViaService"]) for s in key_uses.values()} == {
        (f"${{{address(runtime, 'aws_kms_key', f'keys/{purpose}')}.arn}}", f"{service}.{TEST_REGION}.amazonaws.com")
        for purpose, service in expected.items()
    }
    assert not {a for a in by_action if not a.startswith("kms:")}, f"unexpected actions: {sorted(by_action)}"


@pytest.mark.req("SEC-5")
def test_migration_reads_the_two_database_secrets_and_nothing_else(runtime):
    statements = _statements(runtime, "migrate", "task")
    reads = [s for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]
    assert sorted(s["Resource"] for s in reads) == sorted(
        f"${{{address(runtime, 'aws_secretsmanager_secret', name)}.arn}}" for name in ("app-secret", "master-secret")
    )
    others = [s for s in statements if s not in reads]
    assert [(s["Action"], s["Resource"]) for s in others] == [
        ("kms:Decrypt", f"${{{address(runtime, 'aws_kms_key', 'keys/secrets')}.arn}}")
    ]


@pytest.mark.req("SEC-5")
def test_roles_trust_only_ecs_tasks_of_this_account_and_region(runtime):
    for role in runtime.resources("aws_iam_role").values():
        (trust,) = json.loads(role["assume_role_policy"])["Statement"]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"] == {
            "StringEquals": {"aws:SourceAccount": TEST_ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{TEST_REGION}:{TEST_ACCOUNT}:*"},
        }


def _task(stack, **overrides) -> FargateTask:
    logs = CustomerKey(stack, "logs", CustomerKeyProps("logs", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
    ecr = CustomerKey(stack, "ecr", CustomerKeyProps("ecr", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
    repository = ImageRepository(
        stack, "images", ImageRepositoryProps("meridian-x-test", ecr, TEST_REGION, TEST_ACCOUNT)
    )
    props = {
        "naming": TEST_NAMING,
        "purpose": "worker",
        "region": TEST_REGION,
        "account_id": TEST_ACCOUNT,
        "repository": repository,
        "image": repository.image("1.0.0"),
        "cpu_units": 256,
        "memory_mib": 512,
        "logs": LogSettings(logs, 365),
        **overrides,
    }
    return FargateTask(stack, "worker", FargateTaskProps(**props))


@pytest.mark.req("APP-3")
@pytest.mark.req("SEC-5")
def test_secrets_injected_at_start_are_read_by_the_execution_role_only():
    # GIVEN a task with one secret injected by ECS at start
    arn = f"arn:aws:secretsmanager:{TEST_REGION}:{TEST_ACCOUNT}:secret:meridian-api-key-test-AbCdEf"

    def build(stack):
        key = CustomerKey(stack, "secrets", CustomerKeyProps("secrets", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        _task(stack, injected_secrets={"API_KEY": arn}, secrets_key=key)

    synth = synth_construct(build)
    # THEN the container gets it through `secrets` (never `environment`), the execution role may
    # read exactly it and decrypt it through Secrets Manager, and the task role gets nothing
    definition = container(synth, "meridian-worker-test")
    assert definition["secrets"] == [{"name": "API_KEY", "valueFrom": arn}]
    assert [e["name"] for e in definition["environment"]] == []
    execution = role_policy(synth, "meridian-worker-execution-eu-west-1-test")
    (read,) = [s for s in execution if s["Action"] == "secretsmanager:GetSecretValue"]
    assert read["Resource"] == arn
    (decrypt,) = [s for s in execution if s["Action"] == "kms:Decrypt"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"secretsmanager.{TEST_REGION}.amazonaws.com"}}
    assert len(synth.resources("aws_iam_role_policy")) == 1, "the task role has no policy at all"


@pytest.mark.req("APP-3")
@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"user": "0:0"}, "user '0:0' is root"),
        ({"user": "root"}, "user 'root' is root"),
        ({"injected_secrets": {"API_KEY": "arn:aws:secretsmanager:x"}}, "injected secrets need secrets_key"),
    ],
    ids=["uid 0", "root by name", "secret without its key"],
)
def test_task_refuses_root_and_secrets_without_their_key(overrides, message):
    with pytest.raises(ValueError, match=message):
        synth_construct(lambda stack: _task(stack, **overrides))


@pytest.mark.req("DC-3")
@pytest.mark.req("APP-3")
def test_the_tasks_refuse_a_secrets_key_of_another_region():
    # GIVEN the secrets' key in another region than the tasks: they could not start while that region is down
    with pytest.raises(ValueError, match=f"secrets_key is in us-west-2; allowed: a key in {TEST_REGION}"):
        synth_construct(lambda stack: build_runtime(stack, secrets_region="us-west-2"))
