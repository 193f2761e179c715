"""DC-4: the Terraform gate bites: broken configurations fail with Terraform's own message."""

from __future__ import annotations

import pytest


def _first(config: dict, type_: str) -> tuple[str, dict]:
    name = sorted(config["resource"][type_])[0]
    return name, config["resource"][type_][name]


def unknown_argument(config):
    _first(config, "aws_sns_topic")[1]["delivery_speed"] = "fast"


def missing_required_argument(config):
    del _first(config, "aws_kms_alias")[1]["target_key_id"]


def dangling_reference(config):
    _first(config, "aws_sns_topic")[1]["kms_master_key_id"] = "${aws_kms_key.never_declared.arn}"


def dependency_cycle(config):
    keys = sorted(config["resource"]["aws_kms_key"])
    first, second = (config["resource"]["aws_kms_key"][k] for k in keys[:2])
    first["description"] = f"${{aws_kms_key.{keys[1]}.arn}}"
    second["description"] = f"${{aws_kms_key.{keys[0]}.arn}}"


CASES = [
    (unknown_argument, 'No argument or block type is named "delivery_speed"'),
    (missing_required_argument, 'The argument "target_key_id" is required'),
    (dangling_reference, 'A managed resource "aws_kms_key" "never_declared" has not been declared'),
    (dependency_cycle, "Cycle: "),
]


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("break_config,message", CASES, ids=[c[0].__name__ for c in CASES])
def test_terraform_rejects_a_broken_stack_with_its_own_message(altered_dev_primary, break_config, message):
    # GIVEN the dev primary stack with one defect
    # WHEN Terraform validates it
    result, details = altered_dev_primary.validate(break_config)
    # THEN validation fails, and says why in Terraform's words
    assert result["valid"] is False and result["error_count"] >= 1
    assert message in details, details


@pytest.mark.req("DC-4")
def test_the_unbroken_stack_validates(altered_dev_primary):
    result, details = altered_dev_primary.validate()
    assert result["valid"] is True, details
