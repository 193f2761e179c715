"""DC-1: the fixed layout, and both ways of synthesizing work."""

import json
import shutil
import subprocess

import pytest

from tests.support.synth import ROOT, synth_env

LAYOUT = ["main.py", "cdktf.json", "stacks", "constructs_lib", "lambda_src", "tests", "Pipfile", "Pipfile.lock"]


@pytest.mark.req("DC-1")
def test_fixed_layout_is_present_and_pinned():
    missing = [entry for entry in LAYOUT if not (ROOT / entry).exists()]
    assert missing == []
    lock = json.loads((ROOT / "Pipfile.lock").read_text())
    assert lock["default"]["cdktf"]["version"] == "==0.21.0"
    assert lock["default"]["cdktf-cdktf-provider-aws"]["version"] == "==21.22.1"
    cdktf_json = json.loads((ROOT / "cdktf.json").read_text())
    assert cdktf_json["language"] == "python" and cdktf_json["app"] == "python main.py"
    cli = json.loads((ROOT / "tools/cdktf-cli/package-lock.json").read_text())
    assert cli["packages"]["node_modules/cdktf-cli"]["version"] == "0.21.0"


@pytest.mark.req("DC-1")
def test_python_main_synthesizes_every_stack(dev):
    assert len(dev.stacks) == 4
    assert "Traceback" not in dev.stderr


@pytest.mark.req("DC-1")
def test_cdktf_synth_through_cdktf_json_uses_the_same_app(tmp_path, dev):
    cdktf = shutil.which("cdktf")
    assert cdktf, "the pinned cdktf CLI is installed by tools/bootstrap.sh; run the tests with ./meridian test"
    result = subprocess.run(
        [cdktf, "synth", "--output", str(tmp_path / "out")],
        cwd=ROOT,
        env={**synth_env(), "CI": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name, stack in dev.stacks.items():
        written = json.loads((tmp_path / "out" / "stacks" / name / "cdk.tf.json").read_text())
        assert written == stack, name
