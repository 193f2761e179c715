"""The offline stand-in for hashicorp/aws 6.25.0: Terraform itself validates, plans and applies against it.

GIVEN a small hand-written configuration (provider with region and default_tags, an S3 bucket, a KMS key,
a WAFv2 web ACL with a managed rule group and a rate-based rule, an IAM policy fed by a policy
document, caller identity and availability zones) and the CLI config the installer prints,
WHEN Terraform runs init, validate, plan, apply and plan again, offline,
THEN it behaves as against a provider: schema-checked, planned with unknowns, applied with
well-formed values, and stable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.toolchain.terraform_workspace import REPO_ROOT, Terraform, run_installer, workspace
from tools.offline_provider import install

REGION = "eu-west-1"
FAKE_ACCOUNT = "123456789012"
DEFAULT_TAGS = {"Project": "meridian", "ManagedBy": "terraform"}
VISIBILITY = {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True}


def stand_in_config(bucket_tags: dict[str, str] | None = None) -> dict:
    """A configuration covering what stacks lean on: tags, ARNs, nested and untyped blocks, data sources."""
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "6.25.0"}}},
        "provider": {"aws": [{"region": REGION, "default_tags": [{"tags": DEFAULT_TAGS}]}]},
        "data": {
            "aws_caller_identity": {"current": {}},
            "aws_availability_zones": {"available": {"state": "available"}},
            "aws_iam_policy_document": {
                "read_docs": {
                    "statement": [
                        {
                            "sid": "ReadObjects",
                            "actions": ["s3:GetObject"],
                            "resources": ["${aws_s3_bucket.docs.arn}/*"],
                            "principals": [
                                {
                                    "type": "AWS",
                                    "identifiers": ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"],
                                }
                            ],
                            "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]}],
                        },
                        {
                            "sid": "UseKey",
                            "effect": "Allow",
                            "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "resources": ["${aws_kms_key.docs.arn}"],
                        },
                    ]
                }
            },
        },
        "resource": {
            "aws_s3_bucket": {"docs": {"bucket": "meridian-docs-test", "tags": bucket_tags or {"Name": "docs"}}},
            "aws_kms_key": {"docs": {"description": "documents", "enable_key_rotation": True}},
            "aws_iam_policy": {
                "read_docs": {"name": "read-docs", "policy": "${data.aws_iam_policy_document.read_docs.json}"}
            },
            "aws_wafv2_web_acl": {
                "edge": {
                    "name": "edge",
                    "scope": "REGIONAL",
                    "default_action": {"allow": {}},
                    "visibility_config": {**VISIBILITY, "metric_name": "edge"},
                    "rule": [
                        {
                            "name": "common",
                            "priority": 1,
                            "override_action": {"none": {}},
                            "statement": {
                                "managed_rule_group_statement": {
                                    "name": "AWSManagedRulesCommonRuleSet",
                                    "vendor_name": "AWS",
                                }
                            },
                            "visibility_config": {**VISIBILITY, "metric_name": "common"},
                        },
                        {
                            "name": "rate",
                            "priority": 2,
                            "action": {"block": {}},
                            "statement": {"rate_based_statement": {"limit": 2000, "aggregate_key_type": "IP"}},
                            "visibility_config": {**VISIBILITY, "metric_name": "rate"},
                        },
                    ],
                }
            },
        },
        "output": {"zones": {"value": "${data.aws_availability_zones.available.names}"}},
    }


MANAGED = {"aws_s3_bucket.docs", "aws_kms_key.docs", "aws_iam_policy.read_docs", "aws_wafv2_web_acl.edge"}


@dataclass(frozen=True)
class Lifecycle:
    terraform: Terraform
    validation: dict
    plan: dict
    state: dict
    second_plan: subprocess.CompletedProcess

    def planned(self, address: str) -> dict:
        return next(change["change"] for change in self.plan["resource_changes"] if change["address"] == address)

    def values(self, address: str) -> dict:
        return next(r["values"] for r in self.state["values"]["root_module"]["resources"] if r["address"] == address)


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory, offline_cli_config) -> Lifecycle:
    terraform = workspace(tmp_path_factory.mktemp("stand-in") / "stack", stand_in_config(), offline_cli_config)
    validation = terraform.json("validate", "-json")
    terraform.run("plan", "-no-color", "-out=tfplan")
    plan = terraform.json("show", "-json", "tfplan")
    terraform.run("apply", "-no-color", "-auto-approve", "tfplan")
    state = terraform.json("show", "-json")
    second_plan = terraform.run("plan", "-no-color", "-detailed-exitcode", check=False)
    return Lifecycle(terraform, validation, plan, state, second_plan)


def schema_file(cli_config: Path) -> dict:
    return json.loads((cli_config.parent / "schema.json").read_text())


def aws_schemas(document: dict) -> dict:
    ((address, schemas),) = document["provider_schemas"].items()
    assert address.endswith("/hashicorp/aws")
    return schemas


@pytest.mark.req("DC-4")
def test_init_installs_the_stand_in_from_the_mirror_only(lifecycle):
    lock = (lifecycle.terraform.workdir / ".terraform.lock.hcl").read_text()
    cli_config = lifecycle.terraform.cli_config.read_text()

    assert re.search(r'provider "[^"]+/hashicorp/aws" \{\s+version\s+= "6\.25\.0"', lock)
    assert "filesystem_mirror" in cli_config and "direct" not in cli_config


@pytest.mark.req("DC-4")
def test_validate_reports_no_error_and_no_warning(lifecycle):
    assert lifecycle.validation["valid"] is True
    assert (lifecycle.validation["error_count"], lifecycle.validation["warning_count"]) == (0, 0), lifecycle.validation


@pytest.mark.req("DC-4")
def test_plan_creates_every_resource_with_merged_tags_and_unknown_arns(lifecycle):
    actions = {
        c["address"]: c["change"]["actions"] for c in lifecycle.plan["resource_changes"] if c["mode"] == "managed"
    }
    bucket = lifecycle.planned("aws_s3_bucket.docs")

    assert actions == {address: ["create"] for address in MANAGED}
    assert bucket["after"]["tags_all"] == {**DEFAULT_TAGS, "Name": "docs"}
    assert bucket["after"]["region"] == REGION
    assert bucket["after_unknown"]["arn"] is True and "arn" not in bucket["after"]
    assert lifecycle.planned("aws_iam_policy.read_docs")["after_unknown"]["policy"] is True


@pytest.mark.req("DC-4")
def test_plan_keeps_untyped_waf_statements(lifecycle):
    rules = lifecycle.planned("aws_wafv2_web_acl.edge")["after"]["rule"]

    assert [sorted(rule["statement"]) for rule in rules] == [["managed_rule_group_statement"], ["rate_based_statement"]]
    assert rules[1]["statement"]["rate_based_statement"]["limit"] == 2000


@pytest.mark.req("DC-4")
def test_apply_fills_arns_with_the_configured_region_and_fake_account(lifecycle):
    arns = {address: lifecycle.values(address)["arn"] for address in MANAGED}

    for address, arn in arns.items():
        assert re.fullmatch(rf"arn:aws:[a-z0-9-]+:{REGION}:{FAKE_ACCOUNT}:[\w-]+/[\w./-]+", arn), (address, arn)
    assert lifecycle.values("data.aws_caller_identity.current")["account_id"] == FAKE_ACCOUNT
    assert lifecycle.state["values"]["outputs"]["zones"]["value"] == [f"{REGION}a", f"{REGION}b", f"{REGION}c"]


@pytest.mark.req("DC-4")
def test_policy_document_renders_real_policy_json(lifecycle):
    bucket_arn = lifecycle.values("aws_s3_bucket.docs")["arn"]
    key_arn = lifecycle.values("aws_kms_key.docs")["arn"]
    document = lifecycle.values("data.aws_iam_policy_document.read_docs")

    policy = json.loads(lifecycle.values("aws_iam_policy.read_docs")["policy"])
    read, use_key = policy["Statement"]

    assert policy["Version"] == "2012-10-17"
    assert read == {
        "Sid": "ReadObjects",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Principal": {"AWS": f"arn:aws:iam::{FAKE_ACCOUNT}:root"},
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    assert (use_key["Sid"], sorted(use_key["Action"]), use_key["Resource"]) == (
        "UseKey",
        ["kms:Decrypt", "kms:GenerateDataKey"],
        key_arn,
    )
    assert json.loads(document["minified_json"]) == policy and "\n" not in document["minified_json"]


@pytest.mark.req("DC-4")
def test_second_plan_after_apply_is_empty(lifecycle):
    assert lifecycle.second_plan.returncode == 0, lifecycle.second_plan.stdout + lifecycle.second_plan.stderr


@pytest.mark.req("DC-4")
def test_changing_tags_updates_in_place_and_keeps_the_arn(lifecycle, tmp_path):
    copy = Terraform(tmp_path / "stack", lifecycle.terraform.cli_config)
    shutil.copytree(lifecycle.terraform.workdir, copy.workdir, symlinks=True)
    (copy.workdir / "main.tf.json").write_text(json.dumps(stand_in_config({"Name": "docs-v2"})))

    copy.run("plan", "-no-color", "-out=update")
    changes = {c["address"]: c["change"] for c in copy.json("show", "-json", "update")["resource_changes"]}

    bucket = changes["aws_s3_bucket.docs"]
    assert bucket["actions"] == ["update"]
    assert bucket["after"]["tags_all"] == {**DEFAULT_TAGS, "Name": "docs-v2"}
    assert bucket["after"]["arn"] == lifecycle.values("aws_s3_bucket.docs")["arn"]
    # The policy document reads the bucket, which has changes pending, so Terraform defers that read
    # to apply and the policy that uses it is an update too, as with the real provider.
    unrelated = {"aws_kms_key.docs", "aws_wafv2_web_acl.edge"}
    assert {address: changes[address]["actions"] for address in unrelated} == {
        address: ["no-op"] for address in unrelated
    }


TFTEST = """
run "plan_merges_default_tags" {
  command = plan
  assert {
    condition     = aws_s3_bucket.docs.tags_all["Project"] == "meridian" && aws_s3_bucket.docs.tags_all["Name"] == "docs"
    error_message = "tags_all is not default_tags merged with tags"
  }
}

run "apply_gives_regional_arns" {
  assert {
    condition     = startswith(aws_kms_key.docs.arn, "arn:aws:kms:eu-west-1:123456789012:key/")
    error_message = "unexpected key ARN ${aws_kms_key.docs.arn}"
  }
  assert {
    condition     = jsondecode(aws_iam_policy.read_docs.policy).Statement[0].Resource == "${aws_s3_bucket.docs.arn}/*"
    error_message = "the policy does not name the bucket's objects"
  }
}
"""


@pytest.mark.req("DC-4")
def test_terraform_test_runs_plan_and_apply_assertions(lifecycle, tmp_path):
    copy = Terraform(tmp_path / "stack", lifecycle.terraform.cli_config)
    shutil.copytree(
        lifecycle.terraform.workdir,
        copy.workdir,
        symlinks=True,
        ignore=shutil.ignore_patterns("terraform.tfstate*", "tfplan"),
    )
    (copy.workdir / "tests").mkdir()
    (copy.workdir / "tests" / "stand_in.tftest.hcl").write_text(TFTEST)

    result = copy.run("test", "-no-color")

    assert "Success! 2 passed, 0 failed." in result.stdout, result.stdout


def _without_deprecation_marks(node):
    """The schema without `"deprecated": true` flags (an attribute may itself be named `deprecated`)."""
    if isinstance(node, dict):
        return {
            key: _without_deprecation_marks(value)
            for key, value in node.items()
            if (key, value) != ("deprecated", True)
        }
    return node


@pytest.mark.req("DC-4")
def test_terraform_sees_the_generated_schema_plus_the_deprecation_table(lifecycle):
    served = aws_schemas(lifecycle.terraform.json("providers", "schema", "-json"))

    assert _without_deprecation_marks(served) == aws_schemas(schema_file(lifecycle.terraform.cli_config))
    bucket = served["resource_schemas"]["aws_s3_bucket"]["block"]
    assert (
        bucket["attributes"]["acl"]["deprecated"] is True
        and bucket["block_types"]["versioning"]["block"]["deprecated"] is True
    )
    assert "deprecated" not in bucket["attributes"]["bucket"]
    assert served["data_source_schemas"]["aws_region"]["block"]["attributes"]["name"]["deprecated"] is True


@pytest.mark.req("DC-4")
@pytest.mark.parametrize(
    ("resource", "summary"),
    [
        ({"aws_s3_bucket": {"b": {"bucket": "x", "no_such_argument": True}}}, "Extraneous JSON object property"),
        ({"aws_db_instance": {"db": {"engine": "postgres", "allocated_storage": 20}}}, "Missing required argument"),
        (
            {"aws_s3_bucket": {"b": {"versioning": [{"enabled": True}, {"enabled": False}]}}},
            "Too many versioning blocks",
        ),
        ({"aws_lb_listener": {"l": {"load_balancer_arn": "arn"}}}, "Insufficient default_action blocks"),
    ],
    ids=["unknown-argument", "missing-required-argument", "max-items", "required-block"],
)
def test_validate_rejects_what_the_schema_forbids(lifecycle, tmp_path, resource, summary):
    copy = Terraform(tmp_path / "stack", lifecycle.terraform.cli_config)
    shutil.copytree(lifecycle.terraform.workdir, copy.workdir, symlinks=True)
    only_provider = {key: stand_in_config()[key] for key in ("terraform", "provider")}
    (copy.workdir / "main.tf.json").write_text(json.dumps({**only_provider, "resource": resource}))

    result = copy.run("validate", "-json", check=False)

    assert result.returncode != 0
    assert summary in [d["summary"] for d in json.loads(result.stdout)["diagnostics"]], result.stdout


def test_schema_covers_every_resource_and_data_source_of_the_bindings(offline_cli_config):
    schemas = aws_schemas(schema_file(offline_cli_config))

    assert len(schemas["resource_schemas"]) > 1500
    assert len(schemas["data_source_schemas"]) > 600


def test_schema_spot_checks_match_the_bindings(offline_cli_config):
    schemas = aws_schemas(schema_file(offline_cli_config))
    resources, data_sources = schemas["resource_schemas"], schemas["data_source_schemas"]

    def flags(block: dict, name: str) -> set[str]:
        return {flag for flag in ("required", "optional", "computed") if block["attributes"][name].get(flag)}

    bucket = resources["aws_s3_bucket"]["block"]
    assert flags(bucket, "bucket") == {"optional"}
    assert flags(bucket, "arn") == {"computed"}
    assert flags(bucket, "id") == {"optional", "computed"}
    assert bucket["attributes"]["tags_all"] == {
        "type": ["map", "string"],
        "optional": True,
        "computed": True,
        "description_kind": "plain",
    }
    assert bucket["block_types"]["grant"]["nesting_mode"] == "set"
    assert bucket["block_types"]["versioning"] | {"block": None} == {
        "nesting_mode": "list",
        "max_items": 1,
        "block": None,
    }
    assert bucket["block_types"]["timeouts"]["nesting_mode"] == "single"
    assert flags(resources["aws_db_instance"]["block"], "instance_class") == {"required"}
    assert resources["aws_lb_listener"]["block"]["block_types"]["default_action"]["nesting_mode"] == "list"
    assert resources["aws_lb_listener"]["block"]["block_types"]["default_action"]["min_items"] == 1
    assert flags(resources["aws_instance"]["block"], "get_password_data") == {"optional"}  # renamed in the bindings
    rule = resources["aws_wafv2_web_acl"]["block"]["block_types"]["rule"]
    assert (rule["nesting_mode"], rule["block"]["attributes"]["statement"]["type"]) == ("list", "dynamic")
    assert data_sources["aws_availability_zones"]["block"]["attributes"]["names"] == {
        "type": ["list", "string"],
        "computed": True,
        "description_kind": "plain",
    }
    provider = schemas["provider"]["block"]
    assert provider["attributes"]["region"]["optional"] is True
    assert provider["block_types"]["default_tags"]["block"]["attributes"]["tags"]["type"] == ["map", "string"]


def test_warm_install_prints_the_same_config_quickly_and_quietly(offline_cli_config):
    started = time.monotonic()
    result = run_installer(MERIDIAN_TF_PROVIDER="offline")
    elapsed = time.monotonic() - started

    assert (result.returncode, result.stdout, result.stderr) == (0, f"{offline_cli_config}\n", "")
    assert elapsed < 2.0, f"a warm install took {elapsed:.2f} s"


def test_registry_mode_builds_nothing_and_installs_directly(tmp_path):
    result = run_installer(MERIDIAN_TF_PROVIDER="registry", MERIDIAN_CACHE=str(tmp_path))

    config = Path(result.stdout.strip())
    assert result.returncode == 0 and config.parent == tmp_path / "aws-offline"
    assert "direct {}" in config.read_text() and "filesystem_mirror" not in config.read_text()
    assert [p.name for p in (tmp_path / "aws-offline").iterdir()] == ["direct-install.tfrc"]


def test_unknown_provider_mode_is_one_clear_error(tmp_path):
    result = run_installer(MERIDIAN_TF_PROVIDER="cloud", MERIDIAN_CACHE=str(tmp_path))

    assert (result.returncode, result.stdout) == (1, "")
    assert (
        result.stderr
        == "[provider] error: MERIDIAN_TF_PROVIDER='cloud' is not supported; use one of offline, registry\n"
    )


def test_cache_key_follows_provider_sources_but_not_their_tests(tmp_path, monkeypatch):
    for folder in ("tools/offline_provider", "tools/aws-offline-provider"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(install, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(install, "GENERATOR_DIR", tmp_path / "tools/offline_provider")
    monkeypatch.setattr(install, "PROVIDER_SOURCE_DIR", tmp_path / "tools/aws-offline-provider")
    before = install.sources_hash()

    with open(tmp_path / "tools/aws-offline-provider/synth_test.go", "a") as test_source:
        test_source.write("\n// a test-only change\n")
    after_test_change = install.sources_hash()
    with open(tmp_path / "tools/aws-offline-provider/synth.go", "a") as source:
        source.write("\n// a provider change\n")

    assert after_test_change == before
    assert install.sources_hash() != before


def test_go_unit_tests_of_the_provider_pass(offline_cli_config):
    result = subprocess.run(
        ["go", "test", "./..."],
        cwd=REPO_ROOT / "tools/aws-offline-provider",
        capture_output=True,
        text=True,
        env={**os.environ, "GOFLAGS": "-mod=readonly", "CGO_ENABLED": "0"},
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^ok\s+meridian/aws-offline-provider", result.stdout, re.M)
