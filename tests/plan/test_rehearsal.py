"""DC-5: cdktf deploy and diff work with the pinned Terraform; the rehearsal applies every stack in
dependency order and producers' outputs reach their consumers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tools.rehearsal import rehearse
from tools.tfplan.stand_in import offline_cli_config
from tools.tfplan.synth import ROOT, synth_env
from tools.tfplan.terraform import offline_cli_config


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory):
    return {r.workspace.name.rsplit("-", 1)[1]: r for r in rehearse("dev", tmp_path_factory.mktemp("rehearsal"))}


def _resources(state: dict, type_: str) -> list[dict]:
    return [r["values"] for r in state["values"]["root_module"].get("resources", []) if r["type"] == type_]


@pytest.mark.req("DC-5")
def test_rehearsal_applies_every_stack_in_dependency_order(rehearsed):
    assert list(rehearsed) == ["state", "primary", "secondary", "global"]
    for result in rehearsed.values():
        assert result.workspace.plan().is_empty(), f"{result.workspace.name} drifted after apply"


@pytest.mark.req("DC-5")
def test_producer_outputs_reach_their_consumers(rehearsed):
    topic_arn = rehearsed["primary"].workspace.outputs()["alert_topic_arn"]
    (topic,) = _resources(rehearsed["primary"].workspace.state(), "aws_sns_topic")
    assert topic_arn == topic["arn"] and ":us-east-1:" in topic_arn
    (budget,) = _resources(rehearsed["global"].workspace.state(), "aws_budgets_budget")
    assert {arn for n in budget["notification"] for arn in n["subscriber_sns_topic_arns"]} == {topic_arn}


@pytest.mark.req("DC-5")
def test_cdktf_deploy_and_diff_run_through_cdktf_json_with_the_pinned_terraform(tmp_path):
    cdktf = shutil.which("cdktf")
    terraform = shutil.which("terraform")
    assert cdktf and terraform and str(terraform).startswith(os.environ.get("MERIDIAN_CACHE", str(ROOT))), (
        "run through ./meridian: it installs the pinned cdktf CLI and Terraform"
    )
    outdir = tmp_path / "project" / "synth" / "out"  # the bootstrap state lands three levels up
    outdir.parent.mkdir(parents=True)
    # The mirror serves only this platform, and `providers lock` asks the registry for hashes.
    common = ["--skip-provider-lock", "--output", str(outdir)]
    env = synth_env(CI="true", TF_CLI_CONFIG_FILE=offline_cli_config())  # the rehearsal target
    deploy = subprocess.run(
        [cdktf, "deploy", "meridian-dev-state", "--auto-approve", *common],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-2000:]
    state = json.loads((tmp_path / "project" / "synth" / "terraform.meridian-dev-state.tfstate").read_text())
    assert {r["type"] for r in state["resources"]} >= {"aws_s3_bucket", "aws_dynamodb_table", "aws_kms_key"}
    diff = subprocess.run(
        [cdktf, "diff", "meridian-dev-state", *common], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert diff.returncode == 0, diff.stdout[-2000:] + diff.stderr[-2000:]
    assert "found no differences, so no changes are needed" in " ".join(diff.stdout.split()), diff.stdout[-2000:]
