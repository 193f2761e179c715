"""DC-9 through Terraform: the stand-in warns like the real provider, so "zero warnings" can fail.

Every synthesized stack validates without a deprecation warning (the session's `terraform
validate`), and a stack given a deprecated argument, block or attribute read gets Terraform's warning.
"""

from __future__ import annotations

import pytest

from tests.support.synth import ROLES


@pytest.mark.req("DC-9")
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_no_stack_uses_a_deprecated_argument_resource_or_attribute(planned, env):
    diagnostics = [d for role in ROLES for d in planned[env][role].validation["diagnostics"]]
    assert [d for d in diagnostics if "deprecat" in (d["summary"] + d.get("detail", "")).lower()] == []


def bucket_acl(config):
    config["resource"].setdefault("aws_s3_bucket", {})["canary"] = {"bucket": "meridian-canary-dev", "acl": "private"}


def role_with(argument, value):
    def mutate(config):
        role = {"name": "meridian-canary-dev", "assume_role_policy": "{}", argument: value}
        config["resource"].setdefault("aws_iam_role", {})["canary"] = role  # beside the stack's own roles

    mutate.__name__ = f"role_{argument}"
    return mutate


def region_name_read(config):
    config.setdefault("data", {})["aws_region"] = {"canary": {}}
    config["output"]["canary_region"] = {"value": "${data.aws_region.canary.name}"}


def instance_network_interface(config):
    interface = {"network_interface_id": "eni-0123456789abcdef0", "device_index": 0}
    instance = {"ami": "ami-0123456789abcdef0", "instance_type": "t4g.nano", "network_interface": [interface]}
    config["resource"].setdefault("aws_instance", {})["canary"] = instance


CASES = [
    (bucket_acl, "acl is deprecated. Use the aws_s3_bucket_acl resource instead."),
    (role_with("managed_policy_arns", ["arn:aws:iam::aws:policy/ReadOnlyAccess"]), "managed_policy_arns is deprecated"),
    (role_with("inline_policy", [{"name": "inline", "policy": "{}"}]), "inline_policy is deprecated"),
    (region_name_read, 'Deprecated resource attribute "name" used'),
    (instance_network_interface, "To specify the primary network interface, use primary_network_interface"),
]


@pytest.mark.req("DC-9")
@pytest.mark.parametrize("mutate,message", CASES, ids=[case[0].__name__ for case in CASES])
def test_a_deprecated_argument_makes_validate_warn(altered_dev_primary, mutate, message):
    # GIVEN the dev primary stack using one deprecated argument, block or attribute
    # WHEN Terraform validates it
    result, details = altered_dev_primary.validate(mutate)
    # THEN it is valid but warns, so the zero-warnings gate (DC-4) fails
    assert result["valid"] is True and result["warning_count"] >= 1, result
    assert message in details, details
