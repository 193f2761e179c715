"""DC-4: the stand-in's replacement-forcing arguments (its README table, kept equal to the Go table by
`go test`) name only resource types and arguments that hashicorp/aws 6.25.0's schema has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.toolchain.terraform_workspace import REPO_ROOT

README = REPO_ROOT / "tools" / "aws-offline-provider" / "README.md"
ROW = re.compile(r"^\| `(aws_[a-z0-9_]+)` \| (.+) \| `(internal/[^`]+)` \|$", re.MULTILINE)


def replacement_table() -> dict[str, list[str]]:
    return {match[1]: re.findall(r"`([a-z0-9_]+)`", match[2]) for match in ROW.finditer(README.read_text())}


@pytest.mark.req("DC-4")
def test_every_replacement_forcing_argument_exists_in_the_schema(offline_cli_config: Path):
    (schemas,) = json.loads((offline_cli_config.parent / "schema.json").read_text())["provider_schemas"].values()
    resources = schemas["resource_schemas"]
    table = replacement_table()

    unknown = {
        type_: [
            name
            for name in names
            if name not in resources.get(type_, {}).get("block", {}).get("attributes", {})
            and name not in resources.get(type_, {}).get("block", {}).get("block_types", {})
        ]
        for type_, names in table.items()
    }

    assert len(table) >= 25, sorted(table)
    assert {type_: names for type_, names in unknown.items() if names or type_ not in resources} == {}
