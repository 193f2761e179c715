#!/usr/bin/env python
"""Meridian's CDKTF app: `cdktf synth` (through cdktf.json) or `python main.py [ENV]`.

The environment comes from, in order: the first argument, the MERIDIAN_ENV variable, and finally
`dev`. (The cdktf CLI sets CDKTF_CONTEXT_JSON itself, from cdktf.json, so that variable cannot choose.)
Where the stacks keep their Terraform state comes from MERIDIAN_STATE_SOURCE: `primary` (default) or
`replica`, the state bucket's copy in the secondary region while the primary region is down
(README, DC-3). Its configuration is validated before any stack is
built; a bad configuration prints one line naming the field and what is allowed, exits 2, and
writes nothing.
"""

from __future__ import annotations

import gc
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


def select_state_source(environ: dict[str, str]) -> str:
    return environ.get("MERIDIAN_STATE_SOURCE") or "primary"


def synthesize(config: EnvironmentConfig, outdir: str | None = None, state_source: str = "primary") -> Path:
    """Build every stack of one environment and write it; returns the output folder."""
    from cdktf import App

    from stacks.app import build_environment
    from stacks.base import STATE_SOURCE_CONTEXT

    context = {STATE_SOURCE_CONTEXT: state_source}
    if outdir:
        Path(outdir).mkdir(parents=True, exist_ok=True)  # cdktf creates only the last folder of the path
    app = App(outdir=outdir, context=context) if outdir else App(context=context)
    build_environment(app, config)
    app.synth()
    return Path(app.outdir)


def main(argv: list[str]) -> int:
    from constructs_lib import bindings

    environment = select_environment(argv, dict(os.environ))
    state_source = select_state_source(dict(os.environ))
    try:
        config = load(environment, Path(os.environ.get("MERIDIAN_CONFIG_DIR") or ENVIRONMENTS_DIR))
        bindings.configure(os.environ.get("MERIDIAN_BINDINGS", "fast"))
        from stacks.base import STATE_SOURCES

        if state_source not in STATE_SOURCES:
            allowed = ", ".join(STATE_SOURCES)
            raise ValueError(f"MERIDIAN_STATE_SOURCE is {state_source!r}; allowed: {allowed}")
    except (ConfigError, ValueError) as error:
        print(f"meridian: configuration error: {error}", file=sys.stderr)
        return 2
    from tools.lambda_build import LambdaBuildError

    try:
        outdir = synthesize(config, os.environ.get("CDKTF_OUTDIR", "cdktf.out"), state_source)
    except LambdaBuildError as error:  # raised while the stacks are built, before anything is written
        print(f"meridian: {error}", file=sys.stderr)
        return 1
    print(f"meridian: synthesized environment {environment} into {outdir}")
    return 0


if __name__ == "__main__":
    # A synth lives for seconds and leaves little cyclic garbage, but the bindings' modules hold about
    # 150,000 tracked objects: the collector's passes over them while stacks are built, and its last at
    # exit, cost 0.5-0.6 s of every synth (measured in pairs, README "Synth speed").
    gc.disable()
    status = main(sys.argv[1:])
    gc.freeze()
    sys.exit(status)
