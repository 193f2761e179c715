"""DC-9: no deprecated APIs: synth prints no deprecation warning, no deprecated argument is used."""

import json
import re

import pytest

from tests.support.deprecated import DEPRECATED_ARGUMENTS, DEPRECATED_DATA_ATTRIBUTES, DEPRECATED_RESOURCES


@pytest.mark.req("DC-9")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_synth_prints_no_deprecation_warning(synthesized, name):
    assert not re.search(r"deprecat", synthesized[name].stderr, re.IGNORECASE), synthesized[name].stderr


@pytest.mark.req("DC-9")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_no_deprecated_resource_or_argument_is_synthesized(synthesized, name):
    used = []
    for stack_name, stack in synthesized[name].stacks.items():
        for type_, resources in stack.get("resource", {}).items():
            if type_ in DEPRECATED_RESOURCES:
                used.append(f"{stack_name}: resource {type_}")
            for logical, body in resources.items():
                for argument in DEPRECATED_ARGUMENTS.get(type_, set()) & set(body):
                    used.append(f"{stack_name}: {type_}.{logical}.{argument}")
        text = json.dumps(stack)
        for type_, attributes in DEPRECATED_DATA_ATTRIBUTES.items():
            for attribute in attributes:
                if re.search(rf"data\.{type_}\.[\w-]+\.{attribute}\b", text):
                    used.append(f"{stack_name}: data.{type_}.*.{attribute}")
    assert used == []


@pytest.mark.req("DC-9")
def test_the_check_recognises_an_inline_bucket_block():
    bucket = {"bucket": "b", "versioning": [{"enabled": True}]}
    assert DEPRECATED_ARGUMENTS["aws_s3_bucket"] & set(bucket) == {"versioning"}
