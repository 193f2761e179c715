"""Working copies of synthesized stacks that Terraform can init, validate, plan and apply locally.

cdktf synth clears its output folder, so each stack is copied into a folder of its own with an
`meridian_override.tf.json` beside it: the S3 backend becomes a local one, and every
`terraform_remote_state` reads the local state of the producer whose S3 backend matches it in
bucket, key, region and workspace (anything else is refused). The override also gives the provider
test-only fake credentials and skip flags. None of this reaches the synthesized production configuration.

Applying needs AWS with the real provider, so producers are always applied on the offline stand-in
(their own working copies; `apply` refuses any other provider, tools/tfplan/stand_in.py);
registry-mode copies read those producers' states and only plan.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tools.tfplan import terraform
from tools.tfplan.plan import Plan
from tools.tfplan.stand_in import HarnessRefusal, offline_cli_config, require_stand_in

OVERRIDE_FILE = "meridian_override.tf.json"
STATE_FILE = "terraform.tfstate"

# Only in test working copies, for either provider: enough to plan without an AWS account, and a
# provider that is somehow not the stand-in still cannot use the machine's own credentials.
TEST_PROVIDER_SETTINGS = {
    "access_key": "meridian-test-access-key",
    "secret_key": "meridian-test-secret-key",
    "skip_credentials_validation": True,
    "skip_requesting_account_id": True,
    "skip_metadata_api_check": "true",
    "skip_region_validation": True,
    "allowed_account_ids": None,  # no account to compare against with fake credentials
}


def provider_mode() -> str:
    return os.environ.get("MERIDIAN_TF_PROVIDER", "offline")


@dataclass
class StackWorkspace:
    name: str
    directory: Path
    dependencies: list[str] = field(default_factory=list)
    cli_config: str | None = None  # None: the process's TF_CLI_CONFIG_FILE

    def terraform(self, args: list[str], check: bool = True):
        return terraform.run(args, self.directory, check=check, cli_config=self.cli_config)

    def terraform_json(self, args: list[str]) -> dict:
        return json.loads(self.terraform(args).stdout)

    @property
    def config(self) -> dict:
        return json.loads((self.directory / "cdk.tf.json").read_text())

    def write_config(self, config: dict) -> None:
        (self.directory / "cdk.tf.json").write_text(json.dumps(config, indent=2))

    def init(self) -> None:
        self.terraform(["init", "-input=false", "-no-color"])

    def validate(self) -> dict:
        """`terraform validate -json`: diagnostics as data (it exits 1 when there are errors)."""
        return json.loads(self.terraform(["validate", "-json", "-no-color"], check=False).stdout)

    def plan(self, *extra: str) -> Plan:
        self.terraform(["plan", "-input=false", "-lock=false", "-no-color", "-out=tfplan", *extra])
        return Plan(self.terraform_json(["show", "-json", "tfplan"]))

    def apply(self) -> None:
        """Apply the plan last made by `plan()`, only ever on the offline stand-in."""
        require_stand_in(self.directory)
        self.terraform(["apply", "-input=false", "-lock=false", "-no-color", "-auto-approve", "tfplan"])

    def outputs(self) -> dict:
        return {name: o["value"] for name, o in self.terraform_json(["output", "-json"]).items()}

    def state(self) -> dict:
        return self.terraform_json(["show", "-json"])


def in_place(synth_outdir: Path) -> list[StackWorkspace]:
    """The synthesized stacks as they are (real S3 backend and state), in dependency order."""
    manifest = _manifest(synth_outdir)
    return _in_dependency_order(
        {
            name: StackWorkspace(name, synth_outdir / entry["workingDirectory"], list(entry["dependencies"]))
            for name, entry in manifest.items()
        }
    )


def prepare(
    synth_outdir: Path, work_root: Path, *, provider: str | None = None, state_root: Path | None = None
) -> list[StackWorkspace]:
    """Copy every stack of one synthesized environment; returns them in dependency order.

    provider: "offline" (the stand-in, can apply) or "registry" (the real one, plans only);
    default MERIDIAN_TF_PROVIDER. state_root: where producers' local states are (default work_root).
    """
    provider = provider or provider_mode()
    cli_config = offline_cli_config() if provider == "offline" else None
    manifest = _manifest(synth_outdir)
    state_keys = {}
    for name, entry in manifest.items():
        config = json.loads((synth_outdir / entry["synthesizedStackPath"]).read_text())
        s3 = config.get("terraform", {}).get("backend", {}).get("s3")
        if s3:
            state_keys[_state_address(s3, "default")] = name
    workspaces = {}
    for name, entry in manifest.items():
        directory = work_root / name
        if directory.exists():
            shutil.rmtree(directory)
        shutil.copytree(
            synth_outdir / entry["workingDirectory"], directory, ignore=shutil.ignore_patterns(".terraform*")
        )
        workspace = StackWorkspace(name, directory, list(entry["dependencies"]), cli_config)
        _write_override(workspace, state_root or work_root, state_keys, provider)
        workspaces[name] = workspace
    return _in_dependency_order(workspaces)


def _manifest(synth_outdir: Path) -> dict:
    return json.loads((synth_outdir / "manifest.json").read_text())["stacks"]


def _write_override(workspace: StackWorkspace, state_root: Path, state_keys: dict[str, str], provider: str) -> None:
    override: dict = {"terraform": {"backend": {"local": {"path": STATE_FILE}}}}
    remote_states = workspace.config.get("data", {}).get("terraform_remote_state", {})
    if remote_states:
        override["data"] = {"terraform_remote_state": {}}
        for logical, body in remote_states.items():
            address = _state_address(body["config"], _workspace_read(body))
            producer = state_keys.get(address) if body.get("backend") == "s3" else None
            if producer is None:
                raise RemoteStateMismatch(workspace.name, logical, address)
            override["data"]["terraform_remote_state"][logical] = {
                "backend": "local",
                "config": {"path": str(state_root / producer / STATE_FILE)},
            }
    aliases = workspace.config.get("provider", {}).get("aws", [])
    override["provider"] = {"aws": [dict(TEST_PROVIDER_SETTINGS, **_alias(p)) for p in aliases]}
    (workspace.directory / OVERRIDE_FILE).write_text(json.dumps(override, indent=2))


def _workspace_read(remote_state: dict) -> str:
    """cdktf reads a producer in the consumer's own workspace; every working copy runs in `default`."""
    workspace = remote_state.get("workspace", "default")
    return "default" if workspace == "${terraform.workspace}" else workspace


def _state_address(s3: dict, workspace: str) -> tuple:
    """What identifies one state object: the S3 backend's bucket, key and region, and the workspace."""
    return (s3.get("bucket"), s3.get("key"), s3.get("region"), workspace)


class RemoteStateMismatch(HarnessRefusal):
    """A consumer's terraform_remote_state names a state no stack of the environment writes."""

    def __init__(self, consumer: str, logical: str, address: tuple) -> None:
        bucket, key, region, workspace = address
        super().__init__(
            f"{consumer}: data.terraform_remote_state.{logical} reads bucket={bucket} key={key} region={region} "
            f"workspace={workspace}, which no stack of this environment writes"
        )


def _alias(provider: dict) -> dict:
    return {"alias": provider["alias"]} if "alias" in provider else {}


def _in_dependency_order(workspaces: dict[str, StackWorkspace]) -> list[StackWorkspace]:
    ordered: list[StackWorkspace] = []
    placed: set[str] = set()
    while len(ordered) < len(workspaces):
        ready = sorted(n for n, w in workspaces.items() if n not in placed and set(w.dependencies) <= placed)
        if not ready:
            raise ValueError(f"stack dependency cycle among {sorted(set(workspaces) - placed)}")
        for name in ready:
            ordered.append(workspaces[name])
            placed.add(name)
    return ordered
