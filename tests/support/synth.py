"""Synthesized environments as data: what tests read instead of synthesizing again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("state", "primary", "secondary", "global")


@dataclass
class Synthesized:
    environment: str
    outdir: Path
    stderr: str
    stacks: dict[str, dict] = field(default_factory=dict)

    def stack(self, role: str) -> dict:
        return self.stacks[f"meridian-{self.environment}-{role}"]

    def resources(self, role: str, type_: str) -> dict[str, dict]:
        return self.stack(role).get("resource", {}).get(type_, {})

    def only(self, role: str, type_: str) -> dict:
        found = self.resources(role, type_)
        assert len(found) == 1, f"expected one {type_} in {role}, found {sorted(found)}"
        return next(iter(found.values()))


def synth_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return env


def start_synth(environment: str, outdir: Path, **extra_env: str) -> subprocess.Popen:
    """`python main.py ENV` in its own process, as a user runs it."""
    return subprocess.Popen(
        [sys.executable, "main.py", environment],
        cwd=ROOT,
        env={**synth_env(), "CDKTF_OUTDIR": str(outdir), **extra_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_synth(environment: str, outdir: Path, process: subprocess.Popen) -> Synthesized:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, f"synth of {environment} failed:\n{stdout}\n{stderr}"
    result = Synthesized(environment, outdir, stderr)
    for stack_file in sorted(outdir.glob("stacks/*/cdk.tf.json")):
        result.stacks[stack_file.parent.name] = json.loads(stack_file.read_text())
    return result
