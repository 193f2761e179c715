"""Run the offline-provider installer and the pinned Terraform the way the toolchain tests need."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_installer(**environment: str) -> subprocess.CompletedProcess:
    """`python -m tools.offline_provider.install` as bootstrap runs it, with extra environment."""
    return subprocess.run(
        [sys.executable, "-m", "tools.offline_provider.install"],
        cwd=REPO_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


@dataclass(frozen=True)
class Terraform:
    """The pinned terraform in one working directory, always with the offline CLI config."""

    workdir: Path
    cli_config: Path

    def run(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        executable = shutil.which("terraform")
        assert executable, "no terraform on PATH: run the tests through ./meridian test"
        environment = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
        environment.pop("TF_PLUGIN_CACHE_DIR", None)
        result = subprocess.run(
            [executable, *arguments], cwd=self.workdir, env=environment, capture_output=True, text=True, check=False
        )
        if check:
            assert result.returncode == 0, f"terraform {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *arguments: str) -> dict:
        return json.loads(self.run(*arguments).stdout)


def workspace(root: Path, config: dict, cli_config: Path) -> Terraform:
    """A directory holding `main.tf.json`, initialized against the stand-in."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    terraform = Terraform(root, cli_config)
    terraform.run("init", "-no-color")
    return terraform
