"""DC-4: the stand-in's schema, generated from the bindings' JavaScript, agrees with the bindings'
jsii assembly on every argument's required/optional flag and every block's nesting, for every
resource and data source; spot checks alone could not notice a generator regression."""

from __future__ import annotations

import copy
import json

import pytest

from tests.support.schema_crosscheck import cross_check, load_assembly
from tools.offline_provider.schema_gen import bindings_tarball


@pytest.fixture(scope="module")
def schemas(offline_cli_config) -> dict:
    document = json.loads((offline_cli_config.parent / "schema.json").read_text())
    (provider,) = document["provider_schemas"].values()
    return provider


@pytest.fixture(scope="module")
def assembly() -> dict:
    return load_assembly(bindings_tarball())


@pytest.mark.req("DC-4")
def test_every_argument_and_block_agrees_with_the_jsii_assembly(schemas, assembly):
    result = cross_check(schemas, assembly)
    assert result.disagreements == []
    # all 2,200 or so types, with the numbers of arguments and blocks they hold today
    assert result.types > 2100 and result.arguments > 27000 and result.blocks > 6400, result


def _bucket_only(schemas: dict, change) -> dict:
    bucket = copy.deepcopy(schemas["resource_schemas"]["aws_s3_bucket"])
    change(bucket["block"])
    data_source = schemas["data_source_schemas"]["aws_s3_bucket"]
    return {"resource_schemas": {"aws_s3_bucket": bucket}, "data_source_schemas": {"aws_s3_bucket": data_source}}


GENERATOR_REGRESSIONS = {
    "optional made required": (
        lambda b: b["attributes"]["bucket"].update(required=True, optional=False),
        "aws_s3_bucket.bucket: required=True",
    ),
    "one block made many": (
        lambda b: b["block_types"]["versioning"].pop("max_items"),
        "aws_s3_bucket.versioning: list max None",
    ),
    "argument lost": (
        lambda b: b["attributes"].pop("force_destroy"),
        "aws_s3_bucket.force_destroy: an argument in the bindings",
    ),
    "nested flag flipped": (
        lambda b: b["block_types"]["grant"]["block"]["attributes"]["type"].update(required=False, optional=True),
        "aws_s3_bucket.grant.type: required=False",
    ),
}


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("regression", GENERATOR_REGRESSIONS)
def test_the_cross_check_names_a_generator_regression(schemas, assembly, regression):
    change, message = GENERATOR_REGRESSIONS[regression]
    result = cross_check(_bucket_only(schemas, change), assembly, only={"aws_s3_bucket"})
    assert len(result.disagreements) == 1 and result.disagreements[0].startswith(message), result.disagreements
