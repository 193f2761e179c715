"""DC-4 with `terraform test`: where assertions read better in Terraform's own language."""

import json
import shutil
from pathlib import Path

import pytest

from config import load

TFTEST = Path(__file__).parent / "terraform" / "state_stack.tftest.hcl"


def _terraform_test(workspace, env: str, region: str):
    tests_dir = workspace.directory / "tests"
    tests_dir.mkdir(exist_ok=True)
    shutil.copy(TFTEST, tests_dir / TFTEST.name)
    # `terraform test` declares its variables through the run; the stack itself has none.
    variables = {"variable": {"environment": {"type": "string"}, "region": {"type": "string"}}}
    (workspace.directory / "meridian_test_variables.tf.json").write_text(json.dumps(variables))
    return workspace.terraform(["test", "-no-color", f"-var=environment={env}", f"-var=region={region}"], check=False)


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_terraform_test_passes_on_the_bootstrap_stack(planned, env):
    workspace = planned[env]["state"].applied  # its `apply` run needs the stand-in
    result = _terraform_test(workspace, env, load(env).regions.primary.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 0 failed" in result.stdout


@pytest.mark.req("DC-4")
def test_the_region_assertion_fails_for_another_region(planned):
    # GIVEN dev's bootstrap stack, whose state key lives in dev's primary region
    other = load("dev").regions.secondary.name
    # WHEN terraform test expects the key in the secondary region instead
    result = _terraform_test(planned["dev"]["state"].applied, "dev", other)
    # THEN the apply run's assertion fails: the region is checked, not any region accepted
    assert result.returncode != 0 and "1 passed, 1 failed" in result.stdout, result.stdout
    assert "configured primary region" in result.stdout + result.stderr
