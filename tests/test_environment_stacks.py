"""DC-3, DC-7, DC-8: stacks per region, cross-stack outputs, names, tags, no hard-coded place."""

import json
import re

import pytest

from config import load
from tests.support.synth import ROLES, ROOT


@pytest.mark.req("DC-3")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_each_environment_has_state_one_stack_per_region_and_a_global_stack(synthesized, name):
    env = synthesized[name]
    config = load(name)
    assert sorted(env.stacks) == sorted(f"meridian-{name}-{role}" for role in ROLES)
    regions = {role: env.stack(role)["provider"]["aws"][0]["region"] for role in ROLES}
    assert regions["primary"] == config.regions.primary.name
    assert regions["secondary"] == config.regions.secondary.name
    assert regions["primary"] != regions["secondary"]


@pytest.mark.req("DC-3")
def test_cross_stack_values_flow_through_outputs_not_pasted_ids(dev):
    global_ = dev.stack("global")
    remote = global_["data"]["terraform_remote_state"]
    (primary_input,) = [r for r in remote.values() if r["config"]["key"] == "meridian/dev/primary.tfstate"]
    budget = dev.only("global", "aws_budgets_budget")
    topics = {arn for n in budget["notification"] for arn in n["subscriber_sns_topic_arns"]}
    assert len(topics) == 1 and next(iter(topics)).startswith("${data.terraform_remote_state.")
    output_name = re.search(r"outputs\.([\w-]+)\}", next(iter(topics))).group(1)
    assert output_name in dev.stack("primary")["output"], "the consumer reads an output the producer declares"
    assert "arn:aws:sns" not in json.dumps(global_), "no pasted ARNs"
    assert primary_input["backend"] == "s3"


@pytest.mark.req("DC-8")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_every_stack_tags_every_resource_through_provider_default_tags(synthesized, name):
    env = synthesized[name]
    expected = load(name).default_tags()
    assert set(expected) == {"Project", "Environment", "Owner", "CostCenter", "DataClassification", "ManagedBy"}
    for role in ROLES:
        providers = env.stack(role)["provider"]["aws"]
        assert all(p["default_tags"] == [{"tags": expected}] for p in providers), role
    assert expected["Environment"] == name


NAME_ATTRIBUTES = ("name", "bucket", "identifier", "cluster_identifier", "function_name", "name_prefix")


@pytest.mark.req("DC-7")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_every_physical_name_carries_the_environment_suffix(synthesized, name):
    env = synthesized[name]
    seen = 0
    for stack in env.stacks.values():
        for type_, resources in stack.get("resource", {}).items():
            for logical, body in resources.items():
                for attribute in NAME_ATTRIBUTES:
                    value = body.get(attribute)
                    if isinstance(value, str) and "${" not in value:
                        seen += 1
                        assert value.endswith(f"-{name}"), f"{type_}.{logical}.{attribute} = {value}"
    assert seen >= 8


@pytest.mark.req("DC-7")
def test_no_region_or_account_is_hard_coded_in_code():
    pattern = re.compile(
        r"\b(us|eu|ap|sa|ca|me|af)-(east|west|north|south|central|northeast|southeast)-\d\b|\b\d{12}\b"
    )
    offenders = []
    for folder in ("constructs_lib", "stacks", "main.py"):
        paths = [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))
        for path in paths:
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
