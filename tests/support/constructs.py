"""Synthesize one construct in a bare test stack (QA-1 unit tests), in this process."""

from __future__ import annotations

import json
from collections.abc import Callable

from constructs_lib.naming import Naming

TEST_ACCOUNT = "123456789012"
TEST_REGION = "eu-west-1"
TEST_NAMING = Naming("meridian", "test")


class SynthStack(dict):
    def resources(self, type_: str) -> dict[str, dict]:
        return self.get("resource", {}).get(type_, {})

    def only(self, type_: str) -> dict:
        found = self.resources(type_)
        assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
        return next(iter(found.values()))


def synth_construct(build: Callable[[object], None]) -> SynthStack:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    app = Testing.app()
    stack = TerraformStack(app, "unit")
    AwsProvider(stack, "aws", region=TEST_REGION)
    build(stack)
    return SynthStack(json.loads(Testing.synth(stack)))


def policy(rendered: str) -> dict:
    return json.loads(rendered)


def statement(document: dict, sid: str) -> dict:
    matches = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert len(matches) == 1, f"statement {sid} not found once in {document}"
    return matches[0]
