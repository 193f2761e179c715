"""QA-4 and QA-5: the README's two commands are the whole story, and tests need nothing by hand."""

import re
import subprocess
import sys

import pytest

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


_ENV_READ = re.compile(r"os\.environ\[\s*['\"](\w+)['\"]\s*\]")


@pytest.mark.req("QA-4")
def test_no_test_or_tool_reads_a_variable_without_a_default():
    offenders = []
    for folder in ("tests", "tools", "payment_service"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for name in _ENV_READ.findall(line):
                    if f'os.environ["{name}"] =' not in line and f"os.environ['{name}'] =" not in line:
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {name}")
    assert offenders == [], "read variables with .get(NAME, default) or set them in ./meridian"


@pytest.mark.req("QA-4")
def test_tests_pass_in_an_environment_with_nothing_set(tmp_path):
    # GIVEN an environment with nothing but a PATH to the system tools and a HOME
    bare = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)}
    # WHEN a test module that synthesizes and validates config runs there
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_config.py"],
        cwd=ROOT,
        env=bare,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # THEN it passes without any variable set by hand
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", result.stdout)
