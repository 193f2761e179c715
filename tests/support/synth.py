"""Synthesized environments as data: what tests read instead of synthesizing again."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from config.load import ENVIRONMENTS_DIR
from tools.tfplan.synth import ROOT, start_synth, synth_env  # noqa: F401  (re-exported for tests)

ROLES = ("state", "primary", "secondary", "global")
REGIONAL_ROLES = ("primary", "secondary")

# Tests synthesize strictly (DC-9): Python hides DeprecationWarning outside __main__, so a deprecated
# call in stacks/ or config/ would pass a grep of stderr; as errors it fails synth. jsii libraries
# built with deprecation checks throw on a deprecated member under JSII_DEPRECATED=fail.
STRICT_SYNTH_ENV = {
    "PYTHONWARNINGS": "error::DeprecationWarning,error::PendingDeprecationWarning",
    "JSII_DEPRECATED": "fail",
}


@dataclass
class Synthesized:
    environment: str
    outdir: Path
    stderr: str
    stacks: dict[str, dict] = field(default_factory=dict)

    def stack(self, role: str) -> dict:
        return self.stacks[f"meridian-{self.environment}-{role}"]

    def regional_stacks(self) -> list[tuple[str, dict, str]]:
        """(role, stack, the region its provider deploys to) of the primary and the secondary stack."""
        return [(role, self.stack(role), self.stack(role)["provider"]["aws"][0]["region"]) for role in REGIONAL_ROLES]

    def resources(self, role: str, type_: str) -> dict[str, dict]:
        return self.stack(role).get("resource", {}).get(type_, {})

    def only(self, role: str, type_: str) -> dict:
        found = self.resources(role, type_)
        assert len(found) == 1, f"expected one {type_} in {role}, found {sorted(found)}"
        return next(iter(found.values()))


def finish_synth(environment: str, outdir: Path, process: subprocess.Popen) -> Synthesized:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, f"synth of {environment} failed:\n{stdout}\n{stderr}"
    result = Synthesized(environment, outdir, stderr)
    for stack_file in sorted(outdir.glob("stacks/*/cdk.tf.json")):
        result.stacks[stack_file.parent.name] = json.loads(stack_file.read_text())
    return result


def config_with(directory: Path, environment: str, **settings) -> Path:
    """A copy of the shipped environment files in which one environment has top-level settings changed."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in ENVIRONMENTS_DIR.glob("*.yaml"):
        (directory / source.name).write_text(source.read_text())
    path = directory / f"{environment}.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **settings}, sort_keys=False))
    return directory
