"""Checkov's command line, with JSON documents in .tf.json decoded as its plan scanner does.

Run by the gate with the Python of Checkov's own virtualenv (it imports checkov, never the
project). cdktf renders every policy document (KMS key, bucket, topic, IAM role and policy) as a
JSON string. Checkov's `terraform_json` parser keeps that string as it is, so every check that
reads a policy passes without looking at it: a KMS key open to `"AWS": "*"` passes CKV_AWS_33.
Its Terraform plan parser decodes those attributes, per resource type, from
`RESOURCE_TYPES_JSONIFY`; this wrapper applies the same decoding to .tf.json definitions, so
policy checks see what they see in HCL and plans. The same list covers the other JSON documents
checks read, such as ECS container definitions (read-only root filesystem). Pinned Checkov
(requirements.txt) keeps the hooked names stable; if they move, the import fails and the gate
stops with Checkov's traceback.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

from checkov.main import Checkov
from checkov.terraform.plan_parser import RESOURCE_TYPES_JSONIFY
from checkov.terraform_json import parser as terraform_json_parser

_prepare_definition = terraform_json_parser.prepare_definition


def _decoded_document(value: Any) -> dict | list | None:
    """The JSON document in a parsed attribute value (`["{...}"]`), or None when it holds none."""
    if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)):
        return None
    try:
        document = json.loads(value[0])
    except json.JSONDecodeError:
        return None  # a Terraform reference such as "${data.x.json}", not a literal document
    return document if isinstance(document, (dict, list)) else None


def prepare_definition_with_policies(definition: dict[str, Any]) -> dict[str, Any]:
    prepared = _prepare_definition(definition)
    for block in prepared.get("resource", []):
        for resource_type, resources in block.items():
            attribute = RESOURCE_TYPES_JSONIFY.get(resource_type)
            for config in resources.values() if attribute else ():
                document = _decoded_document(config.get(attribute))
                if document is not None:
                    # the shape Checkov's HCL parser gives a jsonencode() value: one decoded item
                    config[attribute] = [document]
    return prepared


terraform_json_parser.prepare_definition = prepare_definition_with_policies

if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        sys.exit(Checkov().run())
