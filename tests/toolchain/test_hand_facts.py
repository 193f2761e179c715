"""SEC-3 / DC-4: the stand-in knows what the bindings cannot tell it, so the SEC-3 path plans and applies.

GIVEN the schema the installer generated (bindings plus tools/offline_provider/hand_facts.py),
THEN it serves the ephemeral `aws_secretsmanager_random_password` with the provider's arguments and
marks exactly the settable `*_wo` arguments write-only (not their `_wo_version` triggers).
"""

from __future__ import annotations

import pytest

from tests.toolchain.test_offline_provider import aws_schemas, schema_file


@pytest.fixture(scope="module")
def schemas(offline_cli_config) -> dict:
    return aws_schemas(schema_file(offline_cli_config))


@pytest.mark.req("SEC-3")
def test_the_ephemeral_password_generator_has_the_provider_arguments(schemas):
    attributes = schemas["ephemeral_resource_schemas"]["aws_secretsmanager_random_password"]["block"]["attributes"]

    assert set(attributes) == {
        "exclude_characters",
        "exclude_lowercase",
        "exclude_numbers",
        "exclude_punctuation",
        "exclude_uppercase",
        "include_space",
        "password_length",
        "random_password",
        "region",
        "require_each_included_type",
    }
    assert attributes["exclude_characters"]["type"] == "string" and attributes["password_length"]["type"] == "number"
    assert attributes["random_password"] == {
        "type": "string",
        "computed": True,
        "sensitive": True,
        "description_kind": "plain",
    }


@pytest.mark.req("SEC-3")
@pytest.mark.parametrize(
    ("resource", "argument"),
    [
        ("aws_rds_cluster", "master_password_wo"),
        ("aws_db_instance", "password_wo"),
        ("aws_secretsmanager_secret_version", "secret_string_wo"),
    ],
)
def test_write_only_arguments_are_flagged_and_their_versions_are_not(schemas, resource, argument):
    attributes = schemas["resource_schemas"][resource]["block"]["attributes"]

    assert attributes[argument].get("write_only") is True
    assert "write_only" not in attributes[f"{argument}_version"]


@pytest.mark.req("DC-4")
def test_only_settable_wo_arguments_are_write_only(schemas):
    def flagged(block, path=()):
        for name, attribute in block.get("attributes", {}).items():
            if attribute.get("write_only"):
                yield (*path, name), attribute
        for name, nested in block.get("block_types", {}).items():
            yield from flagged(nested["block"], (*path, name))

    found = [
        (resource, path, attribute)
        for resource, schema in schemas["resource_schemas"].items()
        for path, attribute in flagged(schema["block"])
    ]

    assert len(found) >= 10
    assert all(path[-1].endswith("_wo") and not attribute.get("computed") for _, path, attribute in found)
    assert (
        "write_only"
        not in schemas["resource_schemas"]["aws_secretsmanager_secret_version"]["block"]["attributes"][
            "has_secret_string_wo"
        ]
    )
