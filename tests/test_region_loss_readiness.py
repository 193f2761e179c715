"""DC-3: the secondary region can take over when the primary region is lost, read from the session's synthesized
JSON of every environment.

A value in a stack is followed to what it names: through the primary stack's outputs (remote state), through
local values and through the one region rewrite the code uses (`replace(arn, ":<primary>:", ":<secondary>:")`,
the ARN of a replica), down to a resource whose region is its own `region` argument or its stack's provider
region. The secondary's workloads (ECS task definitions, Lambda functions, the roles they run as and those
roles' policies) must name no secret and no KMS key of the primary region: those become unreachable with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from config import load
from tests.support.synth import Synthesized

ENVS = ["dev", "staging", "prod"]
WATCHED = ("aws_secretsmanager_secret", "aws_kms_key")  # what a task must read in its own region
EXPRESSION = re.compile(r"\$\{([^{}]*)\}")
REGION_REWRITE = re.compile(r'replace\((?P<inner>.+), ":(?P<old>[a-z0-9-]+):", ":(?P<new>[a-z0-9-]+):"\)')
REFERENCE = re.compile(
    r"data\.terraform_remote_state\.[\w-]+\.outputs\.(?P<output>[\w-]+)"
    r"|local\.(?P<local>[\w-]+)"
    r"|(?P<type>aws_[a-z0-9_]+)\.(?P<logical>[\w-]+)\.arn"
)
LITERAL_ARN = re.compile(r"arn:aws:(?P<service>secretsmanager|kms):(?P<region>[a-z0-9-]+):")
LITERAL_TYPES = {"secretsmanager": "aws_secretsmanager_secret", "kms": "aws_kms_key"}


def _stack_region(stack: dict) -> str:
    (default,) = [p for p in stack["provider"]["aws"] if "alias" not in p]
    return default["region"]


def _named(env: Synthesized, role: str, text: str) -> Iterator[tuple[str, str, str]]:
    """(resource type, logical name, region) of every watched resource `text` names, followed across stacks."""
    stack = env.stack(role)
    for match in LITERAL_ARN.finditer(text):
        yield LITERAL_TYPES[match["service"]], "(literal ARN)", match["region"]
    for expression in EXPRESSION.findall(text):
        yield from _named_expression(env, role, stack, expression)


def _named_expression(env: Synthesized, role: str, stack: dict, expression: str) -> Iterator[tuple[str, str, str]]:
    rewrite = REGION_REWRITE.fullmatch(expression)
    if rewrite:
        for type_, logical, region in _named_expression(env, role, stack, rewrite["inner"]):
            yield type_, logical, rewrite["new"] if region == rewrite["old"] else region
        return
    for match in REFERENCE.finditer(expression):
        if match["output"]:  # only the primary stack's outputs are read across stacks by a regional stack
            yield from _named(env, "primary", env.stack("primary")["output"][match["output"]]["value"])
        elif match["local"]:
            yield from _named(env, role, stack["locals"][match["local"]])
        elif match["type"] in WATCHED:
            body = stack["resource"][match["type"]][match["logical"]]
            yield match["type"], match["logical"], body.get("region", _stack_region(stack))


def _workloads(stack: dict) -> Iterator[tuple[str, dict]]:
    """The secondary's task definitions and functions, the roles they run as, and those roles' policies."""
    resources = stack["resource"]
    roles = set()
    for type_ in ("aws_ecs_task_definition", "aws_lambda_function"):
        for logical, body in resources.get(type_, {}).items():
            yield f"{type_}.{logical}", body
            text = json.dumps(body)
            roles |= set(re.findall(r"aws_iam_role\.([\w-]+)\.arn", text))
    assert roles, "no workload runs as a role of this stack"
    for logical, policy in resources.get("aws_iam_role_policy", {}).items():
        if any(f"aws_iam_role.{role}." in json.dumps(policy) for role in roles):
            yield f"aws_iam_role_policy.{logical}", policy


@pytest.mark.req("DC-3")
@pytest.mark.req("SEC-5")
@pytest.mark.parametrize("env", ENVS)
def test_the_secondary_regions_workloads_name_no_secret_or_key_of_the_primary_region(synthesized, env):
    # GIVEN the environment's stacks
    regions = load(env).regions
    synth = synthesized[env]
    # WHEN every value of the secondary's workloads is followed to the secrets and keys it names
    named = {
        (where, type_, logical, region)
        for where, body in _workloads(synth.stack("secondary"))
        for type_, logical, region in _named(synth, "secondary", json.dumps(body))
    }
    # THEN they name secrets and keys (the tasks read the database secrets and decrypt them) ...
    assert {type_ for _, type_, _, _ in named} == set(WATCHED)
    # ... and every one of them is in the secondary region, so the region starts tasks without the primary
    primary = [entry for entry in named if entry[3] == regions.primary.name]
    assert not primary, f"the secondary's workloads name the primary region's secrets or keys: {sorted(primary)}"
    assert {region for *_, region in named} == {regions.secondary.name}


def _environment(synth: Synthesized, role: str, family: str) -> dict[str, str]:
    for definition in synth.resources(role, "aws_ecs_task_definition").values():
        if definition["family"] == family:
            (container,) = json.loads(definition["container_definitions"])
            return {e["name"]: e["value"] for e in container["environment"]}
    raise AssertionError(f"no task definition {family} in {role}")


@pytest.mark.req("DC-3")
@pytest.mark.req("APP-3")
@pytest.mark.parametrize("env", ENVS)
def test_both_regions_tasks_read_the_database_secrets_copy_in_their_own_region(synthesized, env):
    synth = synthesized[env]
    regions = {"primary": load(env).regions.primary.name, "secondary": load(env).regions.secondary.name}
    for role, region in regions.items():
        for task in ("payment-service", "payment-migrate"):
            # GIVEN a region's service and migration task WHEN their database variables are followed
            environment = _environment(synth, role, f"meridian-{task}-{env}")
            secrets = {
                name: set(_named(synth, role, environment[name]))
                for name in ("DB_SECRET_ARN", "DB_MASTER_SECRET_ARN")
                if name in environment
            }
            # THEN each names one database secret, in the task's own region
            assert secrets, (role, task)
            for name, found in secrets.items():
                ((type_, logical, where),) = found
                assert (type_, where) == ("aws_secretsmanager_secret", region), (role, task, name, found)
                assert "_credentials_" in logical, (role, task, name, logical)
            # AND the host is the global writer endpoint, which follows the writer to the other region
            global_cluster = next(iter(synth.resources("primary", "aws_rds_global_cluster")))
            host = environment["DB_HOST"]
            if role == "primary":
                assert host == f"${{aws_rds_global_cluster.{global_cluster}.endpoint}}"
            else:
                output = re.fullmatch(r"\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.([\w-]+)\}", host)
                assert output, host
                expected = f"${{aws_rds_global_cluster.{global_cluster}.endpoint}}"
                assert synth.stack("primary")["output"][output[1]]["value"] == expected


@pytest.mark.req("DC-3")
@pytest.mark.req("SEC-2")
@pytest.mark.parametrize("env", ENVS)
def test_both_database_secrets_replicate_to_the_secondary_region_under_a_key_there(synthesized, env):
    regions = load(env).regions
    synth = synthesized[env]
    primary = synth.stack("primary")
    # GIVEN the primary stack's database secrets (the origin header's secret is per region and not replicated)
    secrets = {k: v for k, v in synth.resources("primary", "aws_secretsmanager_secret").items() if "_credentials_" in k}
    assert len(secrets) == 2
    for logical, secret in secrets.items():
        # WHEN its replica is read THEN there is one, in the secondary region ...
        (replica,) = secret.get("replica", [None])
        assert replica is not None and replica["region"] == regions.secondary.name, (logical, secret.get("replica"))
        # ... encrypted with a customer-managed key of that region, never Secrets Manager's default key
        assert "kms_key_id" in replica, f"{logical}: a replica without kms_key_id uses the AWS managed key"
        ((type_, key, region),) = set(_named(synth, "primary", replica["kms_key_id"]))
        assert (type_, region) == ("aws_kms_key", regions.secondary.name), (logical, key, region)
        # AND that key rotates and lets Secrets Manager of that region use it, for this account only
        body = primary["resource"]["aws_kms_key"][key]
        assert body["enable_key_rotation"] is True
        (use,) = [s for s in json.loads(body["policy"])["Statement"] if s["Sid"] == "UseThroughOwnServices"]
        assert use["Condition"]["StringEquals"] == {
            "kms:CallerAccount": load(env).accounts.own,
            "kms:ViaService": [f"secretsmanager.{regions.secondary.name}.amazonaws.com"],
        }
