"""DC-4: test-only settings live in override files of working copies, never in synthesized config."""

import json

import pytest

from tools.tfplan.workspace import OVERRIDE_FILE, REAL_PROVIDER_TEST_SETTINGS, prepare


@pytest.mark.req("DC-4")
def test_registry_mode_copies_get_fake_credentials_and_read_the_rehearsed_producers(dev, tmp_path):
    stacks = {
        w.name.rsplit("-", 1)[1]: w
        for w in prepare(dev.outdir, tmp_path / "registry", provider="registry", state_root=tmp_path / "offline")
    }
    override = json.loads((stacks["global"].directory / OVERRIDE_FILE).read_text())
    assert override["terraform"] == {"backend": {"local": {"path": "terraform.tfstate"}}}
    assert override["provider"]["aws"] == [REAL_PROVIDER_TEST_SETTINGS]
    (remote,) = override["data"]["terraform_remote_state"].values()
    assert remote == {
        "backend": "local",
        "config": {"path": str(tmp_path / "offline" / "meridian-dev-primary" / "terraform.tfstate")},
    }
    assert stacks["global"].cli_config is None, "registry copies use the process's TF_CLI_CONFIG_FILE"


@pytest.mark.req("DC-4")
def test_offline_copies_use_the_stand_in_and_no_fake_credentials(dev, tmp_path):
    for workspace in prepare(dev.outdir, tmp_path, provider="offline"):
        override = json.loads((workspace.directory / OVERRIDE_FILE).read_text())
        assert "provider" not in override
        assert workspace.cli_config, "offline copies name the stand-in's CLI config"


@pytest.mark.req("DC-4")
def test_synthesized_configuration_carries_no_test_setting(dev):
    text = json.dumps(dev.stacks)
    for setting in ("access_key", "secret_key", "skip_credentials_validation", "skip_requesting_account_id"):
        assert setting not in text
    for name, stack in dev.stacks.items():
        assert set(stack["terraform"]["backend"]) == ({"local"} if name.endswith("-state") else {"s3"}), name
