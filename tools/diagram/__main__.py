"""`./meridian diagram [ENV ...] [--check]`: synthesize, draw and write the architecture diagrams.

With no environment, every environment is drawn (the synths run in parallel). `--check` writes
nothing and exits 1 when a committed diagram differs from what the code draws.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from config.model import ENVIRONMENTS
from tools.diagram.documents import draw, expected_files, stale_files, write_files
from tools.diagram.model import DiagramError
from tools.tfplan.synth import ROOT, start_synth


def progress(message: str) -> None:
    print(f"[diagram] {message}", file=sys.stderr, flush=True)


def synthesize_all(environments: list[str], scratch: Path) -> dict[str, dict[str, dict]]:
    """`{environment: {stack name: cdk.tf.json content}}`, synthesized in parallel processes."""
    running = {env: start_synth(env, scratch / env) for env in environments}
    stacks: dict[str, dict[str, dict]] = {}
    failures = []
    for env, process in running.items():
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            failures.append(f"synth of {env} failed: {(stderr or stdout).strip()}")
            continue
        files = sorted((scratch / env).glob("stacks/*/cdk.tf.json"))
        stacks[env] = {path.parent.name: json.loads(path.read_text()) for path in files}
    if failures:
        raise DiagramError("; ".join(failures))
    return stacks


_SUMMARY = "Synthesize, draw and write the architecture diagrams."


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./meridian diagram", description=_SUMMARY)
    parser.add_argument("environments", nargs="*", metavar="ENV", help="default: every environment")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a diagram is out of date")
    args = parser.parse_args(argv)
    unknown = [env for env in args.environments if env not in ENVIRONMENTS]
    if unknown:
        print(
            f"meridian diagram: unknown environment {unknown[0]!r}; allowed: {', '.join(ENVIRONMENTS)}", file=sys.stderr
        )
        return 2
    environments = sorted(set(args.environments), key=ENVIRONMENTS.index) or list(ENVIRONMENTS)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            progress(f"synthesizing {', '.join(environments)}")
            synthesized = synthesize_all(environments, Path(scratch))
        drawings = {env: draw(env, synthesized[env]) for env in environments}
        for env, drawing in drawings.items():
            progress(f"{env}: {drawing.summary}")
        files = expected_files(drawings, ROOT)  # every file is drawn before any is written
    except DiagramError as error:
        print(f"meridian diagram: {error}", file=sys.stderr)
        return 1
    if args.check:
        stale = stale_files(files)
        for path in stale:
            progress(f"out of date: {path.relative_to(ROOT)} (run ./meridian diagram)")
        return 1 if stale else 0
    changed = write_files(files)
    for path in files:
        progress(f"{'wrote' if path in changed else 'unchanged'} {path.relative_to(ROOT)}")
    progress(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
