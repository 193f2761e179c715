"""Run the pinned `terraform` as a process (it reads TF_CLI_CONFIG_FILE per process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


class TerraformError(Exception):
    """Terraform exited non-zero; the message carries its own diagnostics."""

    def __init__(self, command: list[str], cwd: Path, output: str) -> None:
        self.command, self.cwd, self.output = command, cwd, output
        super().__init__(f"terraform {' '.join(command)} failed in {cwd}:\n{output.strip()}")


def terraform_executable() -> str:
    path = shutil.which("terraform")
    if path is None:
        raise TerraformError(
            ["version"], Path.cwd(), "no terraform on PATH; run through ./meridian (it installs the pinned one)"
        )
    return path


def terraform_env(cli_config: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
    if cli_config:
        env["TF_CLI_CONFIG_FILE"] = cli_config
    return env


def run(args: list[str], cwd: Path, check: bool = True, cli_config: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [terraform_executable(), *args], cwd=cwd, env=terraform_env(cli_config), capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise TerraformError(args, cwd, result.stdout + result.stderr)
    return result


def progress(message: str) -> None:
    print(f"[terraform] {message}", file=sys.stderr, flush=True)
