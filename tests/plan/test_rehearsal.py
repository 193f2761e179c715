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
from tools.tfplan.workspace import prepare


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory):
    return {r.workspace.name.rsplit("-", 1)[1]: r for r in rehearse("dev", tmp_path_factory.mktemp("rehearsal"))}


def _resources(state: dict, type_: str) -> list[dict]:
    return [r["values"] for r in state["values"]["root_module"].get("resources", []) if r["type"] == type_]


@pytest.mark.req("DC-5")
def test_rehearsal_applies_every_stack_in_dependency_order(rehearsed):
    order = list(rehearsed)
    # producers first: state, the primary region, then the stacks reading its outputs
    assert order[:2] == ["state", "primary"] and sorted(order[2:]) == ["global", "secondary"]
    for result in rehearsed.values():
        assert result.workspace.plan().is_empty(), f"{result.workspace.name} drifted after apply"


@pytest.mark.req("DC-5")
def test_producer_outputs_reach_their_consumers(rehearsed):
    topic_arn = rehearsed["primary"].workspace.outputs()["alert_topic_arn"]
    (topic,) = [
        t for t in _resources(rehearsed["primary"].workspace.state(), "aws_sns_topic") if "-alerts-" in t["name"]
    ]
    assert topic_arn == topic["arn"] and ":us-east-1:" in topic_arn
    (budget,) = _resources(rehearsed["global"].workspace.state(), "aws_budgets_budget")
    assert {arn for n in budget["notification"] for arn in n["subscriber_sns_topic_arns"]} == {topic_arn}


@pytest.mark.req("DC-5")
def test_cdktf_deploy_applies_every_stack_in_order_and_diff_then_finds_nothing(dev, tmp_path):
    cdktf = shutil.which("cdktf")
    terraform = shutil.which("terraform")
    assert cdktf and terraform and str(terraform).startswith(os.environ.get("MERIDIAN_CACHE", str(ROOT))), (
        "run through ./meridian: it installs the pinned cdktf CLI and Terraform"
    )
    # GIVEN dev as synthesized, laid out as cdktf's output folder with the harness's test-only
    # overrides (local state, remote state read from the producers' local states, fake credentials)
    outdir = tmp_path / "out"
    prepare(dev.outdir, outdir / "stacks", provider="offline")
    shutil.copy(dev.outdir / "manifest.json", outdir / "manifest.json")
    # WHEN the pinned cdktf CLI deploys every stack (no synth, so the overrides stay), then diffs them
    # (the mirror serves only this platform, and `providers lock` asks the registry for hashes)
    common = ["--skip-synth", "--skip-provider-lock", "--output", str(outdir)]
    env = synth_env(CI="true", TF_CLI_CONFIG_FILE=offline_cli_config())  # the rehearsal target only
    deploy = subprocess.run(
        [cdktf, "deploy", "*", "--auto-approve", *common],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-2000:]
    diffs = {  # `cdktf diff` takes one stack at a time
        name: subprocess.run(
            [cdktf, "diff", name, *common], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
        )
        for name in dev.stacks
    }
    # THEN every stack is applied, the global budget alerts the primary's applied topic, and nothing is left
    states = {name: json.loads((outdir / "stacks" / name / "terraform.tfstate").read_text()) for name in dev.stacks}
    assert all(state["resources"] for state in states.values()), sorted(states)
    topic_arn = states["meridian-dev-primary"]["outputs"]["alert_topic_arn"]["value"]
    (budget,) = [r for r in states["meridian-dev-global"]["resources"] if r["type"] == "aws_budgets_budget"]
    assert {
        a for n in budget["instances"][0]["attributes"]["notification"] for a in n["subscriber_sns_topic_arns"]
    } == {topic_arn}
    for name, diff in diffs.items():
        assert diff.returncode == 0, name + diff.stdout[-2000:] + diff.stderr[-2000:]
        assert "found no differences, so no changes are needed" in " ".join(diff.stdout.split()), (
            name + diff.stdout[-2000:]
        )
