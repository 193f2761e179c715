"""Facts about hashicorp/aws 6.25.0 that the CDKTF bindings do not carry, added to the schema by hand.

cdktf 0.21 generates no classes for ephemeral resources, and its bindings do not mark write-only
arguments, so the generated schema would know neither. Both are needed to plan the SEC-3 path
(a password generated at apply time, handed over only through write-only arguments). Each fact
is cited to the provider's source (tools/aws-offline-provider/README.md, "Hand-added facts").
"""

from __future__ import annotations

_OPTIONAL_BOOL = {"type": "bool", "optional": True, "description_kind": "plain"}

# internal/service/secretsmanager/random_password_ephemeral.go (schema) and service_package_gen.go
# (`Region: ResourceRegionDefault()`, which adds the optional+computed `region` of provider 6).
EPHEMERAL_RESOURCE_SCHEMAS: dict[str, dict] = {
    "aws_secretsmanager_random_password": {
        "version": 0,
        "block": {
            "description_kind": "plain",
            "attributes": {
                "exclude_characters": {"type": "string", "optional": True, "description_kind": "plain"},
                "exclude_lowercase": _OPTIONAL_BOOL,
                "exclude_numbers": _OPTIONAL_BOOL,
                "exclude_punctuation": _OPTIONAL_BOOL,
                "exclude_uppercase": _OPTIONAL_BOOL,
                "include_space": _OPTIONAL_BOOL,
                "password_length": {"type": "number", "optional": True, "description_kind": "plain"},
                "random_password": {"type": "string", "computed": True, "sensitive": True, "description_kind": "plain"},
                "region": {"type": "string", "optional": True, "computed": True, "description_kind": "plain"},
                "require_each_included_type": _OPTIONAL_BOOL,
            },
        },
    }
}

# The provider names every write-only argument `<argument>_wo` (with a plain `<argument>_wo_version`
# beside it that triggers the write): master_password_wo on aws_rds_cluster, password_wo on
# aws_db_instance, secret_string_wo on aws_secretsmanager_secret_version, and so on.
WRITE_ONLY_SUFFIX = "_wo"


def is_write_only(name: str, attribute: dict) -> bool:
    """A settable `*_wo` argument; computed ones (`has_secret_string_wo`) only report that it was set."""
    return name.endswith(WRITE_ONLY_SUFFIX) and not attribute.get("computed", False)


def add_hand_facts(provider_schema: dict) -> None:
    """Mark write-only arguments and add the ephemeral resource schemas, in place."""
    for schema in provider_schema["resource_schemas"].values():
        _mark_write_only(schema["block"])
    provider_schema["ephemeral_resource_schemas"] = dict(sorted(EPHEMERAL_RESOURCE_SCHEMAS.items()))


def _mark_write_only(block: dict) -> None:
    for name, attribute in block.get("attributes", {}).items():
        if is_write_only(name, attribute):
            attribute["write_only"] = True
    for nested in block.get("block_types", {}).values():
        if nested["nesting_mode"] != "set":  # Terraform allows no write-only attribute inside a set
            _mark_write_only(nested["block"])
