"""Read the Terraform schema facts that the prebuilt CDKTF bindings carry in their generated JavaScript.

The bindings package ships its jsii tarball with one JavaScript module per resource, data source and the
provider. The generator of those modules (cdktf's provider generator) wrote every Terraform fact it
used as plain, regular code, which is why a handful of regular expressions recover them:

* ``synthesizeHclAttributes()`` of a resource class, and ``<struct>ToHclTerraform(struct)`` of each
  nested block, list every configurable Terraform name with ``isBlock``, the collection ``type``
  (simple, list, set, map, struct) and a ``storageClassType`` (``stringList``, ``S3BucketCorsRuleList``);
* ``reset<Name>()`` exists only for optional arguments, so its absence marks a required one;
* ``// name - computed: true, optional: false, required: false`` precedes every computed-only getter,
  whose body (``getStringAttribute``, ``Fn.tolist(getListAttribute)``, ``new XList(.., wrapsSet)``)
  tells its Terraform type.

This module turns the JavaScript into plain records; ``schema_gen`` turns the records into a schema.
"""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass, field, replace
from pathlib import Path

_CLASS_HEAD = re.compile(r"(\w+) extends ([\w.]+) \{")
_FUNCTION_HEAD = re.compile(r"(\w+)ToHclTerraform\(struct\) \{")
# ~200 MB of JavaScript go through these: most start with a literal the regex engine can skip
# ahead to, and _HCL_ENTRY only ever runs inside a `const attrs = {...}` literal.
_HCL_ENTRY = re.compile(
    r'"?(\w+)"?: \{\n\s+value: (.*),\n\s+isBlock: (true|false),\n'
    r'\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",'
)
_RESET = re.compile(r" reset(\w+)\(\) \{")
_COMPUTED_COMMENT = re.compile(r"// (\w+) - computed: true, optional: false, required: false\n\s+(.*)\n\s+(.*)")
_CONSTRUCTED = re.compile(r'this\._\w+ = new (?:\w+\.)?(\w+)\(this, "(\w+)"(?:, (true|false))?\);')
_FIELD_FROM_CONFIG = re.compile(r"this\._(\w+)(?:\.internalValue)? = config\.(\w+);")
_RESOURCE_TYPE = re.compile(r'\.tfResourceType = "(\w+)";')
_PROPERTY_REF = re.compile(r"(?:this\._|struct\.|struct!\.)(\w+)")
_STRUCT_FUNCTION_REF = re.compile(r"(?:(\w+)\.)?(\w+)ToHclTerraform\b")


class BindingsError(Exception):
    """The installed bindings are missing or not shaped like CDKTF provider bindings."""


@dataclass(frozen=True)
class InputEntry:
    """One configurable Terraform name as ``synthesizeHclAttributes``/``...ToHclTerraform`` list it."""

    name: str
    property_name: str  # the camelCase property, to find its reset method
    is_block: bool
    collection: str  # simple | list | set | map | struct
    storage: str  # stringList, number, S3BucketCorsRuleList, ...
    element_struct: str | None  # for blocks: lowercased struct name of each element
    mapped_per_element: bool  # listMapperHcl/hashMapperHcl: many elements; else at most one


@dataclass(frozen=True)
class ComputedEntry:
    """One computed-only getter: a primitive accessor expression or a constructed complex class."""

    name: str
    accessor: str  # e.g. "getStringAttribute", "tolist:getListAttribute", "class"
    class_name: str | None = None  # for accessor "class": StringMap, FooList, FooOutputReference
    wraps_set: bool = False


@dataclass
class ClassFacts:
    """What one generated class says: its reset methods and computed-only getters."""

    name: str
    base: str
    resource_type: str | None
    optional_properties: set[str] = field(default_factory=set)  # lowercased property names
    computed: dict[str, ComputedEntry] = field(default_factory=dict)
    inputs: list[InputEntry] = field(default_factory=list)  # synthesizeHclAttributes, if any


@dataclass
class ModuleFacts:
    """All classes and struct functions of one bindings module (a folder of lib/)."""

    classes: dict[str, ClassFacts] = field(default_factory=dict)  # keyed by lowercased class name
    struct_inputs: dict[str, list[InputEntry]] = field(default_factory=dict)  # lowercased struct


@dataclass
class Bindings:
    """The parsed modules of the bindings and the provider version they were generated for."""

    modules: dict[str, ModuleFacts]
    provider_version: str


def read_bindings(tarball: Path) -> Bindings:
    """Parse every JavaScript file of the bindings' jsii tarball, grouped by module folder."""
    sources: dict[str, list[str]] = {}
    package: dict = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            if member.name == "package/package.json":
                package = json.loads(handle.read())
            elif len(parts) >= 4 and parts[1] == "lib" and member.name.endswith(".js"):
                sources.setdefault(parts[2], []).append(handle.read().decode("utf-8"))
    version = package.get("cdktf", {}).get("provider", {}).get("version")
    if not version:
        raise BindingsError(
            f"{tarball.name} has no package.json naming the Terraform provider version (cdktf.provider.version)"
        )
    modules = {module: parse_module("\n".join(texts)) for module, texts in sources.items()}
    return Bindings(modules=modules, provider_version=version)


def parse_module(text: str) -> ModuleFacts:
    """Split a module's JavaScript at top-level classes and functions and read each piece."""
    facts = ModuleFacts()
    for class_piece in text.split("\nclass ")[1:]:
        class_chunk, *function_chunks = class_piece.split("\nfunction ")
        head = _CLASS_HEAD.match(class_chunk)
        if head:
            facts.classes[head.group(1).lower()] = _read_class(head.group(1), head.group(2), class_chunk)
        for function_chunk in function_chunks:
            _read_function(function_chunk, facts)
    for function_chunk in text.split("\nclass ")[0].split("\nfunction ")[1:]:
        _read_function(function_chunk, facts)
    return facts


def _read_function(chunk: str, facts: ModuleFacts) -> None:
    head = _FUNCTION_HEAD.match(chunk)
    if head:
        facts.struct_inputs[head.group(1).lower()] = _read_inputs(chunk)


def _read_class(name: str, base: str, chunk: str) -> ClassFacts:
    resource_type = _RESOURCE_TYPE.search(chunk)
    facts = ClassFacts(name=name, base=base, resource_type=resource_type.group(1) if resource_type else None)
    facts.optional_properties = {match.group(1).lower() for match in _RESET.finditer(chunk)}
    constructed = {match.group(2): match for match in _CONSTRUCTED.finditer(chunk)}
    # A getter's comment is followed by `get x() {` and its `return ...;` line; a complex value's by its
    # constructor line. Searching from each comment (not after the previous match) keeps adjacent
    # comments, where the second is the line after the first, from hiding each other.
    position = 0
    while match := _COMPUTED_COMMENT.search(chunk, position):
        position = match.start(2)
        entry = _computed_entry(match.group(1), match.group(2), match.group(3), constructed)
        if entry is not None:
            facts.computed.setdefault(entry.name, entry)
    marker = chunk.find("synthesizeHclAttributes() {")
    if marker >= 0:
        # Resource classes read `this._field`; where the public property was renamed to avoid a
        # clash (get_password_data -> fetchPasswordData, self -> selfAttribute), the constructor's
        # `this._field = config.publicName;` tells which reset method belongs to the field.
        public_names = dict(_FIELD_FROM_CONFIG.findall(chunk))
        facts.inputs = [
            replace(entry, property_name=public_names.get(entry.property_name, entry.property_name))
            for entry in _read_inputs(chunk[marker:])
        ]
    return facts


def _computed_entry(name: str, line: str, next_line: str, constructed: dict) -> ComputedEntry | None:
    """Classify a computed-only getter from the line after its comment: a getter (whose body is the
    next line) or the constructor line of a complex value."""
    if line.startswith("get "):
        body = next_line.removeprefix("return ").rstrip(";")
        if not body.startswith("this._"):
            accessor = re.search(r"this\.(\w+)\(", body)
            prefix = "tolist:" if "Fn.tolist(" in body else ""
            return ComputedEntry(name, prefix + accessor.group(1)) if accessor else None
    elif not line.startswith("this._"):
        return None
    built = constructed.get(name)
    return ComputedEntry(name, "class", built.group(1), built.group(3) == "true") if built else None


def _read_inputs(chunk: str) -> list[InputEntry]:
    """Entries of the `const attrs = {...}` literal that starts the HCL synthesis of a class or struct."""
    begin = chunk.find("const attrs = {")
    if begin < 0:
        return []
    indent = chunk[chunk.rfind("\n", 0, begin) + 1 : begin]
    end = chunk.find("\n" + indent + "};", begin)
    entries = []
    for match in _HCL_ENTRY.finditer(chunk, begin, end if end > 0 else len(chunk)):
        name, value, is_block, collection, storage = match.groups()
        properties = _PROPERTY_REF.findall(value)
        element = None
        if is_block == "true":
            functions = [fn for qualifier, fn in _STRUCT_FUNCTION_REF.findall(value) if qualifier != "cdktf"]
            element = functions[0].lower() if functions else None
        entries.append(
            InputEntry(
                name=name,
                property_name=properties[-1] if properties else name,
                is_block=is_block == "true",
                collection=collection,
                storage=storage,
                element_struct=element,
                mapped_per_element="listMapperHcl(" in value or "hashMapperHcl(" in value,
            )
        )
    return entries
