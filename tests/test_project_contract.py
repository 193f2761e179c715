"""QA-4 and QA-5: the README's two commands are the whole story, and tests need nothing by hand."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.env_reads import exported_by_meridian, reads_without_default, string_constants
from tests.support.synth import ROOT


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


@pytest.mark.req("QA-5")
def test_readme_has_exactly_two_commands_main_job_and_tests():
    assert _readme_commands() == ["./meridian review --base main", "./meridian test"]


@pytest.mark.req("QA-5")
def test_ci_runs_the_readme_test_command_and_nothing_else():
    lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith(("#", "set ", "cd "))]
    assert commands == [_readme_commands()[1]]


@pytest.mark.req("QA-5")
def test_both_commands_do_their_own_set_up():
    entry = (ROOT / "meridian").read_text()
    assert entry.index("source tools/bootstrap.sh") < entry.index("case ")
    bootstrap = (ROOT / "tools/bootstrap.sh").read_text()
    steps = ["_apt_packages", "_python_env", "_terraform", "_cdktf_cli", "_checkov", "_linters", "_offline_provider"]
    calls = [line.strip() for line in bootstrap.splitlines() if line.strip() in steps]
    assert calls == steps, "every piece the project needs is installed by the set-up, in this order"
    assert 'pipenv" sync --dev' in bootstrap or "pipenv sync --dev" in bootstrap.replace('"', "")


SCANNED = ("main.py", "config", "stacks", "constructs_lib", "lambda_src", "tests", "tools", "payment_service")


def _python_files() -> list[Path]:
    return [
        path
        for part in SCANNED
        for path in ([ROOT / part] if part.endswith(".py") else sorted((ROOT / part).rglob("*.py")))
    ]


@pytest.mark.req("QA-4")
def test_every_variable_the_code_reads_has_a_default_or_is_set_by_meridian():
    # GIVEN every Python file of the app, the tools and the tests, and what ./meridian exports
    sources = {path: path.read_text() for path in _python_files()}
    imported = {name: value for source in sources.values() for name, value in string_constants(source).items()}
    exported = exported_by_meridian(ROOT / "tools" / "bootstrap.sh")
    # WHEN every read of os.environ[...], os.environ.get(...) and os.getenv(...) is found
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path, source in sources.items()
        for line, name in reads_without_default(source, imported)
        if name not in exported
    ]
    # THEN each has a default or is set by the test command
    assert offenders == [], (
        "read variables with a default (.get(NAME, default), `or`) or export them in tools/bootstrap.sh"
    )


MUTATIONS = """
import os
A = os.environ["MERIDIAN_A"]
B = os.getenv("MERIDIAN_B")
C = os.environ.get("MERIDIAN_C")
NAME = "MERIDIAN_D"
D = os.environ.get(NAME)
defaulted = os.environ.get("MERIDIAN_E", "x"), os.getenv("MERIDIAN_F") or "x"
compared = os.environ.get("MERIDIAN_H") == "1", "on" if os.getenv("MERIDIAN_I") else "off"
os.environ["MERIDIAN_G"] = "written, not read"
"""


@pytest.mark.req("QA-4")
def test_the_scan_finds_every_way_of_reading_without_a_default():
    assert [name for _, name in reads_without_default(MUTATIONS)] == [
        "MERIDIAN_A",
        "MERIDIAN_B",
        "MERIDIAN_C",
        "MERIDIAN_D",
    ]


@pytest.mark.req("QA-4")
def test_tests_that_synthesize_pass_in_an_environment_with_nothing_set(tmp_path):
    # GIVEN an environment with nothing but a PATH to the system tools and a HOME
    bare = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)}
    # WHEN tests that validate config, synthesize constructs in process and synthesize every stack
    # of every environment with main.py run there
    modules = [
        "tests/test_config.py",
        "tests/constructs/test_wiring_constructs.py",
        "tests/test_layout.py::test_python_main_synthesizes_every_stack",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *modules],
        cwd=ROOT,
        env=bare,
        capture_output=True,
        text=True,
        timeout=900,
    )
    # THEN they pass without any variable set by hand
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", result.stdout)
