"""Synth speed without a second source of truth: the fast bindings loader changes nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from constructs_lib.bindings import LAZY_PROVIDER_INDEX, preload_option
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


# Counts, when each node process exits (the jsii runtime and the kernel it starts), how many of the
# AWS provider's resource modules it required: all when lib/index.js is eager, only those used when lazy.
MODULE_COUNT_PROBE = r"""
process.on("exit", () => {
  const loaded = Object.keys(require.cache).filter((f) => /provider-aws[\\/]lib[\\/][^\\/]+[\\/]index\.js$/.test(f));
  require("fs").appendFileSync(process.env.PROBE_OUT, `${loaded.length}\n`);
});
"""
CREATE_ONE_KEY = (
    "from constructs_lib import bindings; import sys; bindings.configure(sys.argv[1]); "
    "from cdktf import App, TerraformStack; from cdktf_cdktf_provider_aws.kms_key import KmsKey; "
    "KmsKey(TerraformStack(App(), 's'), 'k', description='probe')"
)


@pytest.mark.req("DC-1")
def test_fast_mode_requires_only_the_javascript_modules_a_synth_uses(tmp_path):
    probe = tmp_path / "probe.js"
    probe.write_text(MODULE_COUNT_PROBE)
    env = synth_env(NODE_OPTIONS=f'--require "{probe}"', PROBE_OUT=str(tmp_path / "count"))
    result = subprocess.run(
        [sys.executable, "-c", CREATE_ONE_KEY, "fast"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    # kms_key and what it needs; 2,212 when the index is eager (MERIDIAN_BINDINGS=plain)
    assert 1 <= max(int(count) for count in (tmp_path / "count").read_text().split()) < 20


LAZY_INDEX = """"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.broken = exports.fine = void 0;
exports.fine = require("./fine");
exports.broken = require("./broken");
"""


def _provider_like_package(root: Path) -> Path:
    lib = root / "@cdktf" / "provider-aws" / "lib"
    for name, body in {"fine": "exports.answer = 42;", "broken": 'throw new Error("required eagerly");'}.items():
        (lib / name).mkdir(parents=True)
        (lib / name / "index.js").write_text(body)
    (lib / "index.js").write_text(LAZY_INDEX)
    return lib / "index.js"


@pytest.mark.req("DC-1")
def test_lazy_index_requires_a_module_on_first_access_and_only_the_provider_index(tmp_path):
    index = _provider_like_package(tmp_path / "node_modules")
    hook = ["--require", str(LAZY_PROVIDER_INDEX)]
    env = {name: value for name, value in os.environ.items() if name != "NODE_OPTIONS"}
    use_fine = f"const p = require({str(index)!r}); console.log(p.fine.answer, Object.keys(p).join(','));"
    lazy = subprocess.run(["node", *hook, "-e", use_fine], env=env, capture_output=True, text=True, timeout=60)
    assert (lazy.returncode, lazy.stdout.split()) == (0, ["42", "fine,broken"]), lazy.stderr
    touch_broken = f"require({str(index)!r}).broken"
    broken = subprocess.run(["node", *hook, "-e", touch_broken], env=env, capture_output=True, text=True, timeout=60)
    assert "required eagerly" in broken.stderr
    # The same file anywhere else, and the provider index without the hook, stay eager.
    elsewhere = tmp_path / "other" / "index.js"
    elsewhere.parent.mkdir()
    elsewhere.write_text(LAZY_INDEX.replace('"./', f'"{index.parent}/'))
    for command in (["node", *hook, "-e", f"require({str(elsewhere)!r})"], ["node", "-e", f"require({str(index)!r})"]):
        assert "required eagerly" in subprocess.run(command, env=env, capture_output=True, text=True, timeout=60).stderr


@pytest.mark.req("DC-1")
@pytest.mark.parametrize("folder", ["with space", "café", 'quote"d'])
def test_the_preload_option_finds_the_hook_in_any_checkout_folder(tmp_path, folder):
    # GIVEN the hook in a checkout whose path has a space, a non-ASCII letter or a quote
    hook = tmp_path / folder / LAZY_PROVIDER_INDEX.name
    hook.parent.mkdir()
    hook.write_text(LAZY_PROVIDER_INDEX.read_text())
    # WHEN node starts with the option the loader puts in NODE_OPTIONS THEN it loads the hook
    env = {**os.environ, "NODE_OPTIONS": preload_option(hook)}
    result = subprocess.run(["node", "-e", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr  # node stops with "Cannot find module" otherwise
