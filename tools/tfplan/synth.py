"""Synthesize one environment the way a user does: `python main.py ENV` in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def synth_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env.update(extra)
    return env


def start_synth(environment: str, outdir: Path, *, root: Path = ROOT, **extra_env: str) -> subprocess.Popen:
    """`python main.py ENV` in root (this checkout, or another revision's worktree)."""
    return subprocess.Popen(
        [sys.executable, "main.py", environment],
        cwd=root,
        env=synth_env(CDKTF_OUTDIR=str(outdir), **extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class SynthError(Exception):
    pass


def synthesize(environment: str, outdir: Path) -> Path:
    process = start_synth(environment, outdir)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SynthError((stderr or stdout).strip())
    return outdir
