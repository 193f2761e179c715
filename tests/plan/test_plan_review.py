"""DC-6: the plan review names every replacement and destruction, counts every action, shows no values."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tools.tfplan.review import stack_summary
from tools.tfplan.synth import ROOT, synth_env
from tools.tfplan.workspace import prepare


@pytest.fixture(scope="module")
def changed_state_stack(dev, tmp_path_factory):
    """The dev bootstrap stack applied offline, then changed so Terraform plans all four actions."""
    stacks = prepare(dev.outdir, tmp_path_factory.mktemp("review"), provider="offline")
    (workspace,) = [w for w in stacks if w.name.endswith("-state")]
    workspace.init()
    workspace.plan()
    workspace.apply()
    config = workspace.config
    resources = config["resource"]
    table = next(iter(resources["aws_dynamodb_table"].values()))
    table["tags"] = {"ReviewedBy": "plan-review-test"}  # an in-place update
    (logging_name,) = resources["aws_s3_bucket_logging"]
    del resources["aws_s3_bucket_logging"]  # a destruction
    (alias_name,) = resources["aws_kms_alias"]
    config["resource"]["aws_s3_bucket"]["new_bucket"] = {"bucket": "meridian-review-extra-dev"}  # a creation
    workspace.write_config(config)
    plan = workspace.plan(f"-replace=aws_kms_alias.{alias_name}")  # a replacement, as Terraform plans it
    return workspace, plan, f"aws_s3_bucket_logging.{logging_name}", f"aws_kms_alias.{alias_name}"


@pytest.mark.req("DC-6")
def test_summary_counts_every_action_and_names_replacements_and_destructions(changed_state_stack):
    workspace, plan, destroyed, replaced = changed_state_stack
    assert plan.counts() == {"create": 1, "update": 1, "replace": 1, "destroy": 1}
    markdown = stack_summary(workspace.name, plan)
    assert f"### {workspace.name}" in markdown
    assert "| 1 | 1 | 1 | 1 |" in markdown
    assert f"**Replaced (1):**\n- `{replaced}`" in markdown
    assert f"**Destroyed (1):**\n- `{destroyed}`" in markdown


@pytest.mark.req("DC-6")
def test_summary_never_shows_an_attribute_value(changed_state_stack):
    workspace, plan, _, _ = changed_state_stack
    markdown = stack_summary(workspace.name, plan)
    for value in ("plan-review-test", "meridian-review-extra-dev", "meridian-tfstate", "210987654321", "LockID"):
        assert value not in markdown


@pytest.mark.req("DC-6")
def test_review_command_plans_every_stack_and_writes_the_markdown(tmp_path):
    out = tmp_path / "review.md"
    result = subprocess.run(
        [sys.executable, "-m", "tools.plan_review", "dev", "--out", str(out)],
        cwd=ROOT,
        env=synth_env(MERIDIAN_TF_PROVIDER="offline"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    written = out.read_text()
    assert written.strip() == result.stdout.strip()
    for role in ("state", "primary", "secondary", "global"):
        assert f"### meridian-dev-{role}" in written
    assert "0 to update, 0 to replace, 0 to destroy" in written
    assert "[4/4] meridian-dev-global" in result.stderr, "progress is shown while it works"
