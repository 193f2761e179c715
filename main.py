#!/usr/bin/env python
"""Meridian's CDKTF app: `cdktf synth` (through cdktf.json) or `python main.py [ENV]`.

The environment comes from, in order: the first argument, the MERIDIAN_ENV variable, and finally
`dev`. (The cdktf CLI sets CDKTF_CONTEXT_JSON itself, from cdktf.json, so that variable cannot choose.) Its configuration is validated before any stack is
built; a bad configuration prints one line naming the field and what is allowed, exits 2, and
writes nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from config import ConfigError, EnvironmentConfig, load
from config.load import ENVIRONMENTS_DIR


def select_environment(argv: list[str], environ: dict[str, str]) -> str:
    if argv:
        return argv[0]
    return environ.get("MERIDIAN_ENV") or "dev"


def synthesize(config: EnvironmentConfig, outdir: str | None = None) -> Path:
    """Build every stack of one environment and write it; returns the output folder."""
    from cdktf import App

    from stacks.app import build_environment

    app = App(outdir=outdir) if outdir else App()
    build_environment(app, config)
    app.synth()
    return Path(app.outdir)


def main(argv: list[str]) -> int:
    from constructs_lib import bindings

    environment = select_environment(argv, dict(os.environ))
    try:
        config = load(environment, Path(os.environ.get("MERIDIAN_CONFIG_DIR") or ENVIRONMENTS_DIR))
        bindings.configure(os.environ.get("MERIDIAN_BINDINGS", "fast"))
    except (ConfigError, ValueError) as error:
        print(f"meridian: configuration error: {error}", file=sys.stderr)
        return 2
    outdir = synthesize(config, os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    print(f"meridian: synthesized environment {environment} into {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
