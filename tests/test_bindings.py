"""Synth speed without a second source of truth: the fast bindings loader changes nothing."""

import subprocess
import sys

import pytest

from tests.support.synth import ROOT, finish_synth, start_synth, synth_env


@pytest.mark.req("DC-1")
def test_fast_and_plain_loading_synthesize_byte_identical_json(tmp_path, dev):
    plain_out = tmp_path / "plain"
    plain = finish_synth("dev", plain_out, start_synth("dev", plain_out, MERIDIAN_BINDINGS="plain"))
    fast_files = sorted(p.relative_to(dev.outdir) for p in dev.outdir.rglob("*.json"))
    plain_files = sorted(p.relative_to(plain_out) for p in plain_out.rglob("*.json"))
    assert fast_files == plain_files and len(fast_files) >= 5
    for relative in fast_files:
        assert (dev.outdir / relative).read_bytes() == (plain_out / relative).read_bytes(), relative
    assert plain.stacks == dev.stacks


FALLBACK = """
import pathlib, sys
real_is_file = pathlib.Path.is_file
# Simulate a bindings package whose layout changed: no _jsii subpackage to load alone.
pathlib.Path.is_file = lambda self: False if self.parent.name == "_jsii" else real_is_file(self)
from constructs_lib import bindings
from cdktf_cdktf_provider_aws.kms_key import KmsKey
print(bindings.loaded_mode(), KmsKey.__name__)
"""


@pytest.mark.req("DC-1")
def test_loader_falls_back_to_the_plain_import_when_the_layout_changes():
    result = subprocess.run(
        [sys.executable, "-c", FALLBACK], cwd=ROOT, env=synth_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["plain", "KmsKey"]


@pytest.mark.req("DC-1")
def test_fast_loader_imports_only_the_submodules_used():
    probe = (
        "from constructs_lib import bindings; import sys; from cdktf_cdktf_provider_aws.kms_key import KmsKey; "
        "print(bindings.loaded_mode(), *sorted({m.split('.')[1] for m in sys.modules "
        "if m.startswith('cdktf_cdktf_provider_aws.')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=synth_env(), capture_output=True, text=True, timeout=300
    )
    assert result.stdout.split() == ["fast", "_jsii", "kms_key"], result.stdout + result.stderr
