"""DC-5, DC-7: every way the README offers to choose an environment works through the pinned cdktf
CLI. The test reads the README's block and runs each line as written, adding only where output goes
and the offline flags (`--skip-provider-lock`, `--auto-approve`)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.support.synth import ROOT, synth_env
from tools.tfplan.stand_in import offline_cli_config


def documented_ways() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Environments", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1).strip().splitlines()


def run_documented(line: str, outdir, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run one README line: leading NAME=value words are its environment, the rest its command."""
    words = shlex.split(line)
    assignments = {}
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        assignments[name] = value
    if words[0] == "cdktf":
        words[0] = shutil.which("cdktf") or "cdktf"
        words += ["--output", str(outdir)]
        if words[1] in ("diff", "deploy"):
            words += ["--skip-provider-lock"] + (["--auto-approve"] if words[1] == "deploy" else [])
    environment = synth_env(CI="true", CDKTF_OUTDIR=str(outdir), TF_CLI_CONFIG_FILE=offline_cli_config(), **assignments)
    return subprocess.run(words, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout)


def written_stacks(outdir) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(outdir.glob("stacks/*/cdk.tf.json"))}


def test_the_readme_documents_synth_diff_and_deploy_for_prod():
    commands = [re.sub(r"^(\w+=\S+ )*", "", line).split()[:2] for line in documented_ways()]
    assert ["cdktf", "synth"] in commands and ["cdktf", "diff"] in commands and ["cdktf", "deploy"] in commands
    assert all("prod" in line for line in documented_ways())
    assert "CDKTF_CONTEXT_JSON='" not in (ROOT / "README.md").read_text(), "the CLI overwrites it: not a way to choose"


@pytest.mark.req("DC-7")
@pytest.mark.req("DC-5")
@pytest.mark.parametrize("line", [line for line in documented_ways() if " synth" in line])
def test_each_documented_synth_writes_the_prod_stacks(line, prod, tmp_path):
    # WHEN the README's line runs as a user would type it
    result = run_documented(line, tmp_path / "out")
    # THEN it succeeds and writes exactly prod's stacks, every section of them
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert written_stacks(tmp_path / "out") == prod.stacks


@pytest.mark.req("DC-5")
def test_documented_deploy_then_diff_apply_the_prod_state_stack(tmp_path):
    deploy_line, diff_line = [
        next(line for line in documented_ways() if f"cdktf {verb}" in line) for verb in ("deploy", "diff")
    ]
    outdir = tmp_path / "project" / "synth" / "out"  # the bootstrap state lands three levels up from its stack
    outdir.parent.mkdir(parents=True)
    # WHEN the README's deploy line runs against the stand-in, then its diff line
    deploy = run_documented(deploy_line, outdir)
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-2000:]
    diff = run_documented(diff_line, outdir)
    # THEN prod's state stack is applied (prod's names, prod's deletion protection) and nothing is left to change
    state = json.loads((tmp_path / "project" / "synth" / "terraform.meridian-prod-state.tfstate").read_text())
    table = next(r for r in state["resources"] if r["type"] == "aws_dynamodb_table")["instances"][0]["attributes"]
    assert table["name"] == "meridian-tfstate-lock-prod" and table["deletion_protection_enabled"] is True
    assert diff.returncode == 0, diff.stdout[-2000:] + diff.stderr[-2000:]
    assert "found no differences, so no changes are needed" in " ".join(diff.stdout.split()), diff.stdout[-2000:]


def test_the_old_context_variable_way_would_have_synthesized_dev(tmp_path):
    # The mutation this file guards against: the README once offered this line. Through the CLI it
    # synthesizes dev, so the synth test above fails on it.
    result = run_documented("""CDKTF_CONTEXT_JSON='{"environment":"prod"}' cdktf synth""", tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(written_stacks(tmp_path / "out")) == [
        f"meridian-dev-{r}" for r in ("global", "primary", "secondary", "state")
    ]


@pytest.mark.req("DC-5")
def test_synth_into_a_folder_whose_parents_do_not_exist_yet_writes_the_stacks(dev, tmp_path):
    # GIVEN an output folder two levels below anything that exists
    outdir = tmp_path / "reviews" / "today" / "out"
    # WHEN dev is synthesized into it
    result = subprocess.run(
        [sys.executable, "main.py", "dev"],
        cwd=ROOT,
        env=synth_env(CDKTF_OUTDIR=str(outdir)),
        capture_output=True,
        text=True,
    )
    # THEN the folders are made and dev's stacks written (cdktf alone stops with a traceback)
    assert result.returncode == 0, result.stderr[-2000:]
    assert written_stacks(outdir) == dev.stacks
