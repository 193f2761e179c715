"""Generate the `terraform providers schema -json` document of hashicorp/aws from the CDKTF bindings.

Run as ``python -m tools.offline_provider.schema_gen --provider-address ADDRESS --out schema.json``
(the installer does, with the address Terraform itself reports for ``hashicorp/aws``). Standard
library only, and the bindings package is located, never imported: importing it costs ~14 s.

What the bindings cannot say, and how this generator decides (see tools/aws-offline-provider/README.md):
* whether an optional argument is also computed. Only ``id``, ``arn`` and ``tags_all`` (which the
  real provider always computes when they are settable at all) and the top-level ``region`` (which
  AWS provider 6 fills with the provider's region) are optional+computed here; every other
  settable argument is plain optional or required.
* ``MaxItems`` of the provider's own blocks (its structs have no output-reference classes), nor
  ``sensitive``, ``deprecated``, descriptions or argument validation.
* ephemeral resources and write-only arguments: cdktf generates no classes for the former and does
  not mark the latter, so both are hand-added facts (``hand_facts.py``).
* subtrees the bindings leave untyped (``storageClassType: "any"``, e.g. the WAFv2 rule
  ``statement``) become attributes of cty type ``dynamic``; a set block holding one (the WAFv2
  ``rule``) is served as a list block, since Terraform allows no dynamic values inside sets.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from tools.offline_provider.bindings_js import (
    Bindings,
    BindingsError,
    ClassFacts,
    ComputedEntry,
    InputEntry,
    ModuleFacts,
    read_bindings,
)
from tools.offline_provider.hand_facts import add_hand_facts

_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
_ACCESSOR_TYPES = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "tolist:getListAttribute": ["set", "string"],
    "getNumberListAttribute": ["list", "number"],
    "tolist:getNumberListAttribute": ["set", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": ["map", "dynamic"],
    "interpolationForAttribute": "dynamic",
}
_PRIMITIVE_MAP_CLASSES = {"StringMap": "string", "NumberMap": "number", "BooleanMap": "bool", "AnyMap": "dynamic"}
# Settable at the top level, yet always known after apply in the real provider (see module docstring).
_TOP_LEVEL_OPTIONAL_COMPUTED = {"id", "arn", "tags_all", "region"}
_PROVIDER_META_ARGUMENTS = {"alias"}


def bindings_tarball() -> Path:
    """The jsii tarball inside the installed `cdktf_cdktf_provider_aws` package (found, not imported)."""
    spec = importlib.util.find_spec("cdktf_cdktf_provider_aws")
    if spec is None or not spec.submodule_search_locations:
        raise BindingsError("the CDKTF bindings package cdktf_cdktf_provider_aws is not installed in this Python")
    tarballs = sorted(Path(next(iter(spec.submodule_search_locations)), "_jsii").glob("provider-aws@*.jsii.tgz"))
    if not tarballs:
        raise BindingsError("cdktf_cdktf_provider_aws has no _jsii/provider-aws@*.jsii.tgz")
    return tarballs[-1]


def bindings_version(tarball: Path) -> str:
    """`provider-aws@21.22.1.jsii.tgz` -> `21.22.1`."""
    return tarball.name.split("@", 1)[1].removesuffix(".jsii.tgz")


class _ModuleSchema:
    """Builds Terraform blocks for one bindings module, resolving struct and class references."""

    def __init__(self, module: ModuleFacts):
        self.module = module

    def root_block(self, facts: ClassFacts, top_level_computed: set[str], skip: set[str]) -> dict:
        return self._block(facts.inputs, facts, top_level_computed, skip)

    def _struct_block(self, struct: str | None, trail: tuple[str, ...]) -> dict:
        if struct is None or struct in trail:
            return _empty_block()
        owner = self.module.classes.get(struct + "outputreference")
        return self._block(self.module.struct_inputs.get(struct, []), owner, set(), set(), trail + (struct,))

    def _block(self, inputs, owner: ClassFacts | None, top_level_computed, skip, trail=()) -> dict:
        # The provider's own structs have no output-reference class, hence no reset methods to read:
        # their arguments are all optional, as every argument of the provider block is.
        optional = owner.optional_properties if owner else None
        attributes, block_types = {}, {}
        for entry in inputs:
            if entry.name in skip:
                continue
            is_required = optional is not None and entry.property_name.lower() not in optional
            if entry.is_block and entry.collection != "simple":
                block_types[entry.name] = self._nested_block(entry, is_required, trail)
                continue
            attribute = {"type": _input_type(entry), "description_kind": "plain"}
            if is_required:
                attribute["required"] = True
            else:
                attribute["optional"] = True
                if entry.name in top_level_computed:
                    attribute["computed"] = True
            attributes[entry.name] = attribute
        for name, computed in owner.computed.items() if owner else ():
            if name not in attributes and name not in block_types and name not in skip:
                attributes[name] = {
                    "type": self._computed_type(computed, trail),
                    "description_kind": "plain",
                    "computed": True,
                }
        block = {"description_kind": "plain"}
        if attributes:
            block["attributes"] = dict(sorted(attributes.items()))
        if block_types:
            block["block_types"] = dict(sorted(block_types.items()))
        return block

    def _nested_block(self, entry: InputEntry, is_required: bool, trail) -> dict:
        mode = {"struct": "single"}.get(entry.collection, entry.collection)
        block = self._struct_block(entry.element_struct, trail)
        if mode == "set" and _holds_dynamic(block):
            # Terraform rejects set blocks holding dynamic values (a set must hash its elements'
            # exact type); the config syntax of a list block is the same, so serve it as a list.
            mode = "list"
        nested = {"nesting_mode": mode, "block": block}
        # Terraform's own rules: single blocks take min = max (0 or 1), map blocks take neither.
        if mode in ("list", "set") and not entry.mapped_per_element:
            nested["max_items"] = 1
        if is_required and mode in ("list", "set"):
            nested["min_items"] = 1
        if is_required and mode == "single":
            nested["min_items"] = nested["max_items"] = 1
        return nested

    def _computed_type(self, computed: ComputedEntry, trail):
        if computed.accessor != "class":
            return _ACCESSOR_TYPES.get(computed.accessor, "dynamic")
        name = computed.class_name or ""
        if name in _PRIMITIVE_MAP_CLASSES:
            return ["map", _PRIMITIVE_MAP_CLASSES[name]]
        for suffix, wrap in (
            ("OutputReference", None),
            ("List", "set" if computed.wraps_set else "list"),
            ("Map", "map"),
        ):
            if name.endswith(suffix):
                element = self._object_type(name[: -len(suffix)].lower(), trail)
                return element if wrap is None else [wrap, element]
        return "dynamic"

    def _object_type(self, struct: str, trail) -> list:
        """The cty object type of a computed-only nested object (all its fields are computed)."""
        if struct in trail:
            return ["object", {}]
        block = self._struct_block(struct, trail)
        fields = {name: attribute["type"] for name, attribute in block.get("attributes", {}).items()}
        for name, nested in block.get("block_types", {}).items():
            inner = ["object", {n: a["type"] for n, a in nested["block"].get("attributes", {}).items()}]
            fields[name] = inner if nested["nesting_mode"] == "single" else [nested["nesting_mode"], inner]
        return ["object", dict(sorted(fields.items()))]


def _holds_dynamic(block: dict) -> bool:
    if any(_type_holds_dynamic(attribute["type"]) for attribute in block.get("attributes", {}).values()):
        return True
    return any(_holds_dynamic(nested["block"]) for nested in block.get("block_types", {}).values())


def _type_holds_dynamic(cty) -> bool:
    """Whether a cty JSON type is or contains `dynamic` (["object", {...}], ["list", T], ...)."""
    if isinstance(cty, str):
        return cty == "dynamic"
    inner = cty[1]
    members = inner.values() if isinstance(inner, dict) else inner if cty[0] == "tuple" else [inner]
    return any(_type_holds_dynamic(member) for member in members)


def _input_type(entry: InputEntry):
    """cty type of a configurable attribute from its storage class, e.g. stringList + set -> set(string)."""
    storage = entry.storage
    base = next((word for word in _PRIMITIVES if storage.startswith(word)), "any")
    cty = _PRIMITIVES[base]
    suffixes = storage[len(base) :]
    wrappers = []
    while suffixes:
        for suffix in ("List", "Map"):
            if suffixes.startswith(suffix):
                wrappers.append(suffix)
                suffixes = suffixes[len(suffix) :]
                break
        else:
            return "dynamic"
    for depth, wrapper in enumerate(wrappers):
        outermost = depth == len(wrappers) - 1
        if wrapper == "Map":
            cty = ["map", cty]
        else:
            cty = [entry.collection if outermost and entry.collection in ("list", "set") else "list", cty]
    return cty


def _empty_block() -> dict:
    return {"description_kind": "plain"}


def generate(bindings: Bindings, provider_address: str) -> dict:
    """The full schema document: provider config, every resource and every data source."""
    resources, data_sources, provider = {}, {}, None
    for module in bindings.modules.values():
        builder = _ModuleSchema(module)
        for facts in module.classes.values():
            if facts.base == "cdktf.TerraformProvider":
                provider = {"version": 0, "block": builder.root_block(facts, set(), _PROVIDER_META_ARGUMENTS)}
            elif facts.resource_type and facts.base in ("cdktf.TerraformResource", "cdktf.TerraformDataSource"):
                target = resources if facts.base == "cdktf.TerraformResource" else data_sources
                block = builder.root_block(facts, _TOP_LEVEL_OPTIONAL_COMPUTED, set())
                target[facts.resource_type] = {"version": 0, "block": block}
    if provider is None:
        raise BindingsError("the bindings hold no provider class; is this a CDKTF provider bindings package?")
    provider_schema = {
        "provider": provider,
        "resource_schemas": dict(sorted(resources.items())),
        "data_source_schemas": dict(sorted(data_sources.items())),
    }
    add_hand_facts(provider_schema)
    return {"format_version": "1.0", "provider_schemas": {provider_address: provider_schema}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider-address", required=True, help="fully qualified address of hashicorp/aws")
    parser.add_argument("--out", required=True, type=Path, help="where to write the schema JSON")
    args = parser.parse_args(argv)
    try:
        write_schema(read_bindings(bindings_tarball()), args.provider_address, args.out)
    except BindingsError as error:
        print(f"schema_gen: {error}", file=sys.stderr)
        return 1
    return 0


def write_schema(bindings: Bindings, provider_address: str, out: Path) -> None:
    """Write the schema document atomically (compact, keys sorted: the same bindings give the same bytes)."""
    schema = generate(bindings, provider_address)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True), encoding="utf-8")
    partial.replace(out)


if __name__ == "__main__":
    sys.exit(main())
