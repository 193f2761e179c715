"""Cross-check the generated provider schema against the bindings' jsii assembly (an independent
record of the same facts): for every resource and data source, every configurable argument and
block exists on both sides with the same required/optional flag and the same block cardinality."""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

_TYPE_LINK = re.compile(r"/docs/(resources|data-sources)/\w+ (\w+)\}")
_ANCHOR = re.compile(r"/docs/[\w-]+/\w+#(\w+) ")


@dataclass
class CrossCheck:
    arguments: int = 0
    blocks: int = 0
    types: int = 0
    disagreements: list[str] = field(default_factory=list)


def load_assembly(tarball: Path) -> dict:
    with tarfile.open(tarball) as archive:
        return json.load(archive.extractfile("package/.jsii"))


def cross_check(schemas: dict, assembly: dict, only: set[str] | None = None) -> CrossCheck:
    """schemas: the provider entry of `terraform providers schema -json` (resource_schemas,
    data_source_schemas); only: the type names to compare (default every one)."""
    types = assembly["types"]
    result = CrossCheck()
    kinds = {"cdktf.TerraformResource": "resource_schemas", "cdktf.TerraformDataSource": "data_source_schemas"}
    for type_ in types.values():
        if type_.get("kind") != "class" or type_.get("base") not in kinds:
            continue
        link = _TYPE_LINK.search(type_["docs"].get("summary", ""))
        config = next(
            (p["type"].get("fqn") for p in type_["initializer"].get("parameters", []) if p["name"] == "config"), None
        )
        if not link or not config or (only is not None and link.group(2) not in only):
            continue
        schema = schemas[kinds[type_["base"]]].get(link.group(2))
        if schema is None:
            result.disagreements.append(f"{link.group(2)}: in the bindings, not in the schema")
            continue
        result.types += 1
        _compare(types, config, schema["block"], link.group(2), result)
    return result


def _struct_of(types: dict, reference: dict) -> tuple[str | None, bool]:
    """(struct fqn, many) when the property holds a nested block; (None, False) for an argument."""
    candidates = reference.get("union", {}).get("types", [reference])
    for candidate in candidates:
        element = candidate.get("collection", {}).get("elementtype")  # a list, set or map of blocks
        fqn = (element or candidate).get("fqn")
        if fqn in types and types[fqn].get("datatype"):
            return fqn, element is not None
    return None, False


def _compare(types: dict, struct: str, block: dict, where: str, result: CrossCheck) -> None:
    attributes, nested = block.get("attributes", {}), block.get("block_types", {})
    configurable = {name for name, a in attributes.items() if a.get("required") or a.get("optional")} | set(nested)
    seen = set()
    for prop in types[struct].get("properties", []):
        docs = prop.get("docs", {})
        anchor = _ANCHOR.search(docs.get("summary", "") + " " + docs.get("remarks", ""))
        if not anchor:
            continue
        name, optional = anchor.group(1), bool(prop.get("optional"))
        seen.add(name)
        inner, many = _struct_of(types, prop["type"])
        if inner is None:
            result.arguments += 1
            attribute = attributes.get(name)
            if attribute is None:
                result.disagreements.append(f"{where}.{name}: an argument in the bindings, not in the schema")
            elif bool(attribute.get("required")) == optional:
                result.disagreements.append(
                    f"{where}.{name}: required={attribute.get('required', False)} in the schema, optional={optional} in the bindings"
                )
            continue
        result.blocks += 1
        nested_block = nested.get(name)
        if nested_block is None:
            if name not in attributes:  # untyped subtrees are served as dynamic attributes
                result.disagreements.append(f"{where}.{name}: a block in the bindings, not in the schema")
            continue
        single = nested_block["nesting_mode"] == "single" or nested_block.get("max_items") == 1
        if single == many:
            result.disagreements.append(
                f"{where}.{name}: {nested_block['nesting_mode']} max {nested_block.get('max_items')} in the schema, {'many' if many else 'one'} in the bindings"
            )
        if nested_block["nesting_mode"] != "map" and (nested_block.get("min_items", 0) >= 1) == optional:
            result.disagreements.append(
                f"{where}.{name}: min_items={nested_block.get('min_items', 0)} in the schema, optional={optional} in the bindings"
            )
        _compare(types, inner, nested_block["block"], f"{where}.{name}", result)
    result.disagreements += [
        f"{where}.{name}: in the schema, not in the bindings" for name in sorted(configurable - seen)
    ]
