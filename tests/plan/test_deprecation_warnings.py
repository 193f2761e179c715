"""DC-9 through Terraform: the stand-in warns like the real provider, so "zero warnings" can fail.

Every synthesized stack validates without a deprecation warning (the session's `terraform
validate`), and a stack given a deprecated argument, block or attribute read gets Terraform's warning.
"""

from __future__ import annotations

import copy

import pytest

from tests.support.synth import ROLES
from tools.tfplan.workspace import prepare


@pytest.mark.req("DC-9")
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_no_stack_uses_a_deprecated_argument_resource_or_attribute(planned, env):
    diagnostics = [d for role in ROLES for d in planned[env][role].validation["diagnostics"]]
    assert [d for d in diagnostics if "deprecat" in (d["summary"] + d.get("detail", "")).lower()] == []


@pytest.fixture(scope="module")
def primary(dev, tmp_path_factory):
    (workspace,) = [
        w for w in prepare(dev.outdir, tmp_path_factory.mktemp("deprecations")) if w.name.endswith("-primary")
    ]
    workspace.init()
    original = workspace.config
    yield workspace, original
    workspace.write_config(original)


def bucket_acl(config):
    config["resource"].setdefault("aws_s3_bucket", {})["canary"] = {"bucket": "meridian-canary-dev", "acl": "private"}


def role_with(argument, value):
    def mutate(config):
        role = {"name": "meridian-canary-dev", "assume_role_policy": "{}", argument: value}
        config["resource"].setdefault("aws_iam_role", {})["canary"] = role

    mutate.__name__ = f"role_{argument}"
    return mutate


def region_name_read(config):
    config.setdefault("data", {})["aws_region"] = {"canary": {}}
    config["output"]["canary_region"] = {"value": "${data.aws_region.canary.name}"}


CASES = [
    (bucket_acl, "acl is deprecated. Use the aws_s3_bucket_acl resource instead."),
    (role_with("managed_policy_arns", ["arn:aws:iam::aws:policy/ReadOnlyAccess"]), "managed_policy_arns is deprecated"),
    (role_with("inline_policy", [{"name": "inline", "policy": "{}"}]), "inline_policy is deprecated"),
    (region_name_read, 'Deprecated resource attribute "name" used'),
]


@pytest.mark.req("DC-9")
@pytest.mark.parametrize("mutate,message", CASES, ids=[case[0].__name__ for case in CASES])
def test_a_deprecated_argument_makes_validate_warn(primary, mutate, message):
    workspace, original = primary
    # GIVEN the dev primary stack using one deprecated argument, block or attribute
    broken = copy.deepcopy(original)
    mutate(broken)
    workspace.write_config(broken)
    try:
        # WHEN Terraform validates it
        result = workspace.validate()
    finally:
        workspace.write_config(original)
    # THEN it is valid but warns, so the zero-warnings gate (DC-4) fails
    assert result["valid"] is True and result["warning_count"] >= 1, result
    details = " ".join(f"{d['summary']}: {d.get('detail', '')}" for d in result["diagnostics"])
    assert message in details, details
