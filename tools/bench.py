"""Synth (and plan) benchmark: `./meridian bench [ENV]`. Not a test: it reports, it does not judge.

Prints, from one run, the wall time of synthesizing every stack of one environment next to the wall
time of a bare `import cdktf_cdktf_provider_aws`, as a ratio (target <= 0.4), and when the offline
toolchain is installed (./meridian does it), the plan time of each stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.plan_review import plan_environment_timed

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    environment = argv[0] if argv else "dev"
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    with tempfile.TemporaryDirectory() as outdir:
        print("[bench] warming the interpreter caches (one synth, not measured)", file=sys.stderr)
        timed([sys.executable, "main.py", environment], {**env, "CDKTF_OUTDIR": outdir})
        print("[bench] bare import of the AWS bindings", file=sys.stderr)
        bare = timed([sys.executable, "-c", "import cdktf_cdktf_provider_aws"], env)
        print(f"[bench] synthesizing every stack of {environment}", file=sys.stderr)
        synth = timed([sys.executable, "main.py", environment], {**env, "CDKTF_OUTDIR": outdir})
        stacks = sorted(p.name for p in Path(outdir, "stacks").iterdir())
        print(f"| measure | seconds |\n|---|---|")
        print(f"| bare `import cdktf_cdktf_provider_aws` | {bare:.1f} |")
        print(f"| synth of all {len(stacks)} stacks of {environment} | {synth:.1f} |")
        print(f"| ratio synth / bare import (target <= 0.4) | {synth / bare:.2f} |")
        plan_times = _plan_times(Path(outdir), environment)
        for stack, seconds in plan_times:
            print(f"| init + plan of {stack} (offline provider) | {seconds:.1f} |")
    return 0


def _plan_times(outdir: Path, environment: str) -> list[tuple[str, float]]:
    print(f"[bench] planning every stack of {environment} offline", file=sys.stderr)
    return plan_environment_timed(outdir, environment)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
