"""DC-3, DC-7, DC-8, SEC-9: stacks per region, cross-stack outputs, names, tags, TLS-only buckets,
no hard-coded place; prod differs from non-prod in the synthesized stacks."""

import copy
import json
import re

import pytest

from config import load
from tests.support.bucket_policy import tls_problems
from tests.support.synth import ROLES, ROOT
from tests.support.tags import config_tag_problems


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
    env, domain = synthesized[name], load(name).dns.domain
    seen = 0
    for stack in env.stacks.values():
        for type_, resources in stack.get("resource", {}).items():
            for logical, body in resources.items():
                for attribute in NAME_ATTRIBUTES:
                    value = body.get(attribute)
                    if isinstance(value, str) and "${" not in value:
                        seen += 1
                        if type_ == "aws_route53_record":  # a DNS name: under the environment's own domain
                            assert value.endswith(domain), f"{type_}.{logical}.{attribute} = {value}"
                            continue
                        # RDS fixes its export log groups' names around the cluster's suffixed identifier
                        value = re.sub(r"^/aws/rds/cluster/([^/]+)/postgresql$", r"\1", value)
                        assert value.endswith(f"-{name}"), f"{type_}.{logical}.{attribute} = {value}"
    assert seen >= 8


# Types whose names are global to the account: two stacks of one environment (one per region) must
# never ask for the same name, or the second apply fails.
ACCOUNT_GLOBAL_NAMES = {"aws_iam_role": "name", "aws_iam_policy": "name", "aws_s3_bucket": "bucket"}


def global_name_clashes(env) -> list[str]:
    owners: dict[tuple[str, str], list[str]] = {}
    for stack_name, stack in env.stacks.items():
        for type_, field in ACCOUNT_GLOBAL_NAMES.items():
            for address, body in stack.get("resource", {}).get(type_, {}).items():
                if isinstance(body.get(field), str):
                    owners.setdefault((type_, body[field]), []).append(f"{stack_name}:{address}")
    return [f"{type_} {name}: {where}" for (type_, name), where in sorted(owners.items()) if len(where) > 1]


@pytest.mark.req("DC-7")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_account_global_names_are_unique_across_the_environments_stacks(synthesized, name):
    assert global_name_clashes(synthesized[name]) == []


@pytest.mark.req("DC-7")
def test_the_global_name_check_bites_on_a_role_name_without_its_region(dev):
    # GIVEN the secondary stack's roles renamed to the primary's flow-log role name
    env = copy.deepcopy(dev)
    primary_roles = env.stack("primary")["resource"]["aws_iam_role"]
    flow_log_role = next(body["name"] for body in primary_roles.values() if "vpc-flow-logs" in body["name"])
    for body in env.stack("secondary")["resource"]["aws_iam_role"].values():
        body["name"] = flow_log_role
    # THEN the clash is reported
    assert any(flow_log_role in clash for clash in global_name_clashes(env))


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


@pytest.mark.req("SEC-9")
@pytest.mark.req("DC-2")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_every_bucket_of_every_stack_denies_non_tls_requests_to_bucket_and_objects(synthesized, name):
    stacks = synthesized[name].stacks
    assert sum(len(s.get("resource", {}).get("aws_s3_bucket", {})) for s in stacks.values()) >= 2
    assert [problem for stack_name, stack in stacks.items() for problem in tls_problems(stack_name, stack)] == []


TLS_MUTATIONS = {
    "objects dropped": lambda s: s.update(Resource=s["Resource"][0]),
    "principal narrowed": lambda s: s.update(Principal={"AWS": "arn:aws:iam::123456789012:root"}),
    "one action only": lambda s: s.update(Action="s3:GetObject"),
    "allow instead of deny": lambda s: s.update(Effect="Allow"),
}


@pytest.mark.req("SEC-9")
@pytest.mark.parametrize("mutation", TLS_MUTATIONS)
def test_the_tls_check_bites_on_a_weakened_statement(dev, mutation):
    # GIVEN the dev state stack whose state bucket's TLS statement is weakened
    stack = copy.deepcopy(dev.stack("state"))
    policy = next(iter(stack["resource"]["aws_s3_bucket_policy"].values()))
    document = json.loads(policy["policy"])
    TLS_MUTATIONS[mutation](document["Statement"][0])
    policy["policy"] = json.dumps(document)
    # THEN the check names the bucket
    (problem,) = tls_problems("meridian-dev-state", stack)
    assert "lacks the TLS-only statement" in problem


@pytest.mark.req("DC-8")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_no_resource_overrides_a_default_tag(synthesized, name):
    expected = load(name).default_tags()
    assert [
        p
        for stack_name, stack in synthesized[name].stacks.items()
        for p in config_tag_problems(stack_name, stack, expected)
    ] == []


@pytest.mark.req("DC-8")
def test_the_tag_check_bites_on_a_resource_overriding_environment_or_owner(dev):
    # GIVEN the dev state stack whose lock table says it belongs to another environment and owner
    stack = copy.deepcopy(dev.stack("state"))
    table = next(iter(stack["resource"]["aws_dynamodb_table"].values()))
    table["tags"] = {"Environment": "prod", "Owner": "someone-else", "Purpose": "locks"}
    # THEN both overrides are named, and the extra tag is not
    problems = config_tag_problems("meridian-dev-state", stack, load("dev").default_tags())
    assert len(problems) == 2 and "Environment='prod'" in problems[0] and "Owner='someone-else'" in problems[1]


def environment_difference_problems(synthesized) -> list[str]:
    """What DC-7 asks prod to differ in, read from synthesized JSON: deletion protection, retention."""
    problems = []
    prod_table = synthesized["prod"].only("state", "aws_dynamodb_table")
    prod_log_days = _log_bucket_expiry_days(synthesized["prod"])
    if prod_table["deletion_protection_enabled"] is not True:
        problems.append("prod's lock table is not deletion-protected")
    for name in ("dev", "staging"):
        if synthesized[name].only("state", "aws_dynamodb_table")["deletion_protection_enabled"] is not False:
            problems.append(f"{name}'s lock table is deletion-protected")
        if not _log_bucket_expiry_days(synthesized[name]) < prod_log_days:
            problems.append(f"{name} keeps access logs as long as prod")
    return problems


def _log_bucket_expiry_days(env) -> int:
    # the state access-log bucket and its replica in the secondary region keep logs equally long
    (days,) = {
        rule["expiration"][0]["days"]
        for body in env.resources("state", "aws_s3_bucket_lifecycle_configuration").values()
        for rule in body["rule"]
        if rule.get("expiration")
    }
    return days


@pytest.mark.req("DC-7")
def test_prod_differs_from_non_prod_in_the_synthesized_stacks(synthesized):
    assert _log_bucket_expiry_days(synthesized["prod"]) == load("prod").retention.log_days
    assert environment_difference_problems(synthesized) == []


@pytest.mark.req("DC-7")
def test_the_difference_check_bites_when_a_construct_ignores_the_config(synthesized):
    # GIVEN prod's synthesized lock table without deletion protection (a construct ignoring config)
    mutated = copy.deepcopy(synthesized)
    mutated["prod"].only("state", "aws_dynamodb_table")["deletion_protection_enabled"] = False
    # THEN the comparison of synthesized stacks says so
    assert environment_difference_problems(mutated) == ["prod's lock table is not deletion-protected"]
