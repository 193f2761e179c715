"""DC-4 with `terraform test`: where assertions read better in Terraform's own language."""

import shutil
from pathlib import Path

import pytest

TFTEST = Path(__file__).parent / "terraform" / "state_stack.tftest.hcl"


@pytest.mark.req("DC-4")
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_terraform_test_passes_on_the_bootstrap_stack(planned, env):
    workspace = planned[env]["state"].applied  # its `apply` run needs the stand-in
    tests_dir = workspace.directory / "tests"
    tests_dir.mkdir(exist_ok=True)
    shutil.copy(TFTEST, tests_dir / TFTEST.name)
    # `terraform test` declares its variable through the run; the stack itself has none.
    (workspace.directory / "meridian_test_variables.tf.json").write_text(
        '{"variable": {"environment": {"type": "string"}}}'
    )
    result = workspace.terraform(["test", "-no-color", f"-var=environment={env}"], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 0 failed" in result.stdout
