"""DC-4, DC-5: test-only settings live in override files of working copies, never in synthesized
config; remote state is rewired only to the producer that really writes it; nothing is applied
except on the offline stand-in."""

import json
import shutil

import pytest

from tools.tfplan import stand_in
from tools.tfplan.stand_in import NotTheStandIn, require_stand_in
from tools.tfplan.workspace import OVERRIDE_FILE, TEST_PROVIDER_SETTINGS, RemoteStateMismatch, prepare


@pytest.mark.req("DC-4")
def test_registry_mode_copies_get_fake_credentials_and_read_the_rehearsed_producers(dev, tmp_path):
    stacks = {
        w.name.rsplit("-", 1)[1]: w
        for w in prepare(dev.outdir, tmp_path / "registry", provider="registry", state_root=tmp_path / "offline")
    }
    override = json.loads((stacks["global"].directory / OVERRIDE_FILE).read_text())
    assert override["terraform"] == {"backend": {"local": {"path": "terraform.tfstate"}}}
    # the default provider and CloudFront's and the secondary region's aliased ones (EDGE-3), each faked
    assert len(dev.stack("global")["provider"]["aws"]) == 3
    assert override["provider"]["aws"] == _faked(dev.stacks["meridian-dev-global"])
    # both regions' producers (the budget's alert topic, CloudFront's origin secrets), read from the rehearsal
    assert sorted(override["data"]["terraform_remote_state"].values(), key=str) == [
        {
            "backend": "local",
            "config": {"path": str(tmp_path / "offline" / f"meridian-dev-{role}" / "terraform.tfstate")},
        }
        for role in ("primary", "secondary")
    ]
    assert stacks["global"].cli_config is None, "registry copies use the process's TF_CLI_CONFIG_FILE"


def _faked(stack: dict) -> list[dict]:
    """The test settings for each aws provider of the stack, aliased ones keeping their alias."""
    return [
        {**TEST_PROVIDER_SETTINGS, **({"alias": p["alias"]} if "alias" in p else {})} for p in stack["provider"]["aws"]
    ]


@pytest.mark.req("DC-4")
def test_offline_copies_use_the_stand_in_and_fake_credentials_too(dev, tmp_path):
    for workspace in prepare(dev.outdir, tmp_path, provider="offline"):
        override = json.loads((workspace.directory / OVERRIDE_FILE).read_text())
        assert override["provider"]["aws"] == _faked(dev.stacks[workspace.name])
        assert workspace.cli_config == stand_in.offline_cli_config(), "offline copies name the stand-in's CLI config"


@pytest.mark.req("DC-4")
def test_synthesized_configuration_carries_no_test_setting(dev):
    text = json.dumps(dev.stacks)
    for setting in ("access_key", "secret_key", "skip_credentials_validation", "skip_requesting_account_id"):
        assert setting not in text
    for name, stack in dev.stacks.items():
        assert set(stack["terraform"]["backend"]) == ({"local"} if name.endswith("-state") else {"s3"}), name


def _with_global_remote_state(dev, tmp_path, change) -> list:
    outdir = tmp_path / "synth"
    shutil.copytree(dev.outdir, outdir)
    stack_file = outdir / "stacks" / "meridian-dev-global" / "cdk.tf.json"
    config = json.loads(stack_file.read_text())
    (remote,) = [
        r for r in config["data"]["terraform_remote_state"].values() if r["config"]["key"].endswith("/primary.tfstate")
    ]
    change(remote)
    stack_file.write_text(json.dumps(config))
    return prepare(outdir, tmp_path / "work", provider="offline")


MISWIRED = {
    "another bucket": lambda remote: remote["config"].update(bucket="meridian-tfstate-999999999999-eu-west-1-dev"),
    "another region": lambda remote: remote["config"].update(region="eu-central-1"),
    "another workspace": lambda remote: remote.update(workspace="blue"),
}


@pytest.mark.req("DC-5")
@pytest.mark.parametrize("mutation", MISWIRED)
def test_a_consumer_reading_another_state_is_refused_not_rewired(dev, tmp_path, mutation):
    # GIVEN the dev global stack reading the primary's state key from another bucket, region or workspace
    # WHEN the harness prepares its working copies
    with pytest.raises(RemoteStateMismatch) as refused:
        _with_global_remote_state(dev, tmp_path, MISWIRED[mutation])
    # THEN it names the consumer and what it reads, instead of wiring it to the primary's state by key alone
    assert "meridian-dev-global" in str(refused.value) and "key=meridian/dev/primary.tfstate" in str(refused.value)


@pytest.mark.req("DC-5")
def test_without_the_offline_config_variable_offline_copies_are_refused(dev, tmp_path, monkeypatch):
    monkeypatch.delenv(stand_in.OFFLINE_CONFIG_VARIABLE, raising=False)
    with pytest.raises(NotTheStandIn, match="MERIDIAN_OFFLINE_TF_CONFIG"):
        prepare(dev.outdir, tmp_path, provider="offline")


@pytest.mark.req("DC-5")
def test_apply_refuses_a_provider_that_is_not_the_stand_in(dev, tmp_path):
    # GIVEN a working copy initialized against the stand-in, and one holding another aws provider binary
    (state,) = [w for w in prepare(dev.outdir, tmp_path / "real", provider="offline") if w.name.endswith("-state")]
    state.init()
    impostor = (
        tmp_path
        / "impostor"
        / ".terraform"
        / "providers"
        / "registry.example"
        / "hashicorp"
        / "aws"
        / "6.25.0"
        / "linux_amd64"
    )
    impostor.mkdir(parents=True)
    (impostor / "terraform-provider-aws_v6.25.0_x5").write_bytes(b"not the stand-in")
    # THEN the first may apply and the second is refused before Terraform runs
    require_stand_in(state.directory)
    with pytest.raises(NotTheStandIn, match="is not the offline stand-in"):
        require_stand_in(tmp_path / "impostor")
