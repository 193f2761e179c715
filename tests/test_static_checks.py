"""The pinned linter and type checker run with the tests, and provider classes are imported the way
cdktf users write them, so a misspelled argument fails here in seconds, before any synth."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.synth import ROOT

BINDINGS = "cdktf_cdktf_provider_aws"
LOADER = ROOT / "constructs_lib" / "bindings.py"
_IMPORT_CALLS = ("import_module", "__import__", "spec_from_file_location", "exec_module")  # find_spec only locates
PYTHON_TREES = ("main.py", "config", "stacks", "constructs_lib", "payment_service", "lambda_src", "tools", "tests")


def _tool(variable: str, name: str) -> str:
    found = os.environ.get(variable) or shutil.which(name)
    assert found, f"{name} is not installed: run the tests through ./meridian test, which installs it"
    return found


def _run(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def _pyright(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return _run([_tool("MERIDIAN_PYRIGHT", "pyright"), "--pythonpath", sys.executable, *args], cwd=cwd)


@pytest.mark.req("QA-1")
def test_linter_finds_nothing():
    ruff = _tool("MERIDIAN_RUFF", "ruff")
    lint = _run([ruff, "check", "--no-cache", "."])
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatting = _run([ruff, "format", "--no-cache", "--check", "."])
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


@pytest.mark.req("QA-1")
def test_type_checker_finds_nothing():
    result = _pyright()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


@pytest.mark.req("QA-1")
def test_type_checker_names_a_misspelled_provider_argument(tmp_path):
    # GIVEN a copy of a real construct with one provider argument misspelled
    source = (ROOT / "constructs_lib" / "kms.py").read_text()
    assert "enable_key_rotation=True" in source
    (tmp_path / "kms_typo.py").write_text(source.replace("enable_key_rotation=True", "enable_key_rotaton=True"))
    (tmp_path / "pyrightconfig.json").write_text(f'{{"extraPaths": ["{ROOT}"], "typeCheckingMode": "basic"}}')
    # WHEN the pinned type checker reads it
    result = _pyright(cwd=tmp_path)
    # THEN it fails and names the argument
    assert result.returncode != 0
    assert 'No parameter named "enable_key_rotaton"' in result.stdout, result.stdout


def _binding_loads(path: Path, root: Path = ROOT) -> list[str]:
    """Every way a file loads the bindings other than `from cdktf_cdktf_provider_aws.<sub> import ...`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == BINDINGS]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == BINDINGS:
            if node.level or node.module.count(".") != 1 or node.module.split(".")[1].startswith("_"):
                found.append(f"from {node.module} import ...")
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith(_IMPORT_CALLS)
            and any(
                isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith(BINDINGS)
                for arg in node.args
            )
        ):
            found.append(f"{ast.unparse(node.func)}({BINDINGS}...)")
    return [f"{path.relative_to(root)}:{load}" for load in found]


@pytest.mark.req("DC-1")
def test_only_the_loader_knows_how_the_bindings_package_is_loaded():
    files = [p for tree in PYTHON_TREES for p in sorted((ROOT / tree).rglob("*.py")) or [ROOT / tree]]
    files = [p for p in files if p.is_file() and p != LOADER]
    offenders = [load for path in files for load in _binding_loads(path)]
    assert offenders == []


@pytest.mark.req("DC-1")
def test_the_import_scan_catches_each_other_way_of_loading(tmp_path):
    other_ways = {
        "import cdktf_cdktf_provider_aws\n": "import cdktf_cdktf_provider_aws",
        "from cdktf_cdktf_provider_aws import kms_key\n": "from cdktf_cdktf_provider_aws import ...",
        "import importlib\nimportlib.import_module('cdktf_cdktf_provider_aws.kms_key')\n": "importlib.import_module(",
    }
    for index, (source, expected) in enumerate(other_ways.items()):
        probe = tmp_path / f"probe_{index}.py"
        probe.write_text(source)
        assert any(expected in load for load in _binding_loads(probe, tmp_path)), source
