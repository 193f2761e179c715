"""A function's pinned dependencies, installed once per requirements.txt into a shared cache.

pip installs binary wheels for the Lambda runtime (target.PIP_PLATFORM_ARGS), checked against the
hashes in requirements.txt, into a staging folder that is renamed into place when complete: the
cache never holds a half-installed set, and concurrent builds on one machine do not collide. Once
a set is cached, building needs no network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .target import ARCHITECTURE, PIP_PLATFORM_ARGS, RUNTIME


class DependencyInstallError(RuntimeError):
    """pip could not install the pinned set (offline before the first install, a wrong pin or hash)."""


def cache_key(requirements: Path) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update("\0".join(PIP_PLATFORM_ARGS).encode())
    return digest.hexdigest()[:16]


def install_dependencies(requirements: Path, cache_dir: Path, announce: Callable[[str], None]) -> Path:
    target = cache_dir / cache_key(requirements)
    if target.is_dir():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    pins = sum(1 for line in requirements.read_text().splitlines() if "==" in line and not line.startswith("#"))
    announce(f"installing {pins} pinned packages from {requirements} for {RUNTIME} {ARCHITECTURE} into {target}")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache_dir))
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "--no-deps",
        "--require-hashes",
        "--no-compile",
        "--target",
        str(staging),
        *PIP_PLATFORM_ARGS,
        "-r",
        str(requirements),
    ]
    output: list[str] = []
    # A synth that turns deprecation warnings into errors (tests/support/synth.py) means our code;
    # pip's own warnings must not stop it installing.
    pip_env = {name: value for name, value in os.environ.items() if name != "PYTHONWARNINGS"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=pip_env) as pip:
        assert pip.stdout is not None
        for line in pip.stdout:
            output.append(line.rstrip())
            if line.startswith(("Collecting", "Downloading", "Installing", "Successfully")):
                announce(f"  pip: {line.rstrip()}")
    if pip.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = "\n".join(output[-15:])
        raise DependencyInstallError(f"pip could not install {requirements} (exit {pip.returncode}):\n{tail}")
    try:
        staging.rename(target)
    except OSError:  # another build finished the same set first: use that one
        shutil.rmtree(staging, ignore_errors=True)
    return target
