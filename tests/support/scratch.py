"""A scratch copy of the CDKTF app, for tests that break the code under test and expect a check to fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.synth import ROOT, synth_env

# What synth reads: the app, and what the stacks build the Lambda zips from (tools/lambda_build
# packages lambda_src/ with the RDS CA bundle the payment service vendors).
APP_PARTS = (
    "main.py",
    "cdktf.json",
    "config",
    "stacks",
    "constructs_lib",
    "lambda_src",
    "tools/__init__.py",
    "tools/lambda_build",
    "payment_service/certs/rds-global-bundle.pem",
)


def copy_app(destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    for part in APP_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (destination / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, destination / part)
    return destination


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"the mutation's anchor {old!r} is not in {path} exactly once"
    path.write_text(text.replace(old, new))


def synth_copy(app: Path, environment: str, outdir: Path, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "main.py", environment],
        cwd=app,
        env=synth_env(CDKTF_OUTDIR=str(outdir), **extra_env),
        capture_output=True,
        text=True,
        timeout=300,
    )
