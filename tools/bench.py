"""Synth (and plan) benchmark: `./meridian bench [ENV]`. Not a test: it reports, it does not judge.

Prints, from one run, the wall time of synthesizing every stack of one environment next to the wall
time of a bare `import cdktf_cdktf_provider_aws`, as a ratio (target <= 0.3), and when the offline
toolchain is installed (./meridian does it), the plan time of each stack.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.tfplan.environment import plan_stacks
from tools.tfplan.synth import ROOT, synth_env
from tools.tfplan.workspace import prepare


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    environment = argv[0] if argv else "dev"
    with tempfile.TemporaryDirectory() as scratch:
        outdir = Path(scratch) / "synth"
        synth_command = ([sys.executable, "main.py", environment], synth_env(CDKTF_OUTDIR=str(outdir)))
        print("[bench] warming the interpreter caches (one synth, not measured)", file=sys.stderr)
        timed(*synth_command)
        print("[bench] bare import of the AWS bindings", file=sys.stderr)
        bare = timed([sys.executable, "-c", "import cdktf_cdktf_provider_aws"], synth_env())
        print(f"[bench] synthesizing every stack of {environment}", file=sys.stderr)
        synth = timed(*synth_command)
        stacks = sorted(p.name for p in (outdir / "stacks").iterdir())
        print("| measure | seconds |\n|---|---|")
        print(f"| bare `import cdktf_cdktf_provider_aws` | {bare:.1f} |")
        print(f"| synth of all {len(stacks)} stacks of {environment} | {synth:.1f} |")
        print(f"| ratio synth / bare import (target <= 0.3) | {synth / bare:.2f} |")
        print(f"[bench] planning every stack of {environment} offline", file=sys.stderr)
        for result in plan_stacks(prepare(outdir, Path(scratch) / "work", provider="offline"), apply=True):
            print(f"| init + plan of {result.workspace.name} (offline provider) | {result.seconds:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
