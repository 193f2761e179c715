"""Deploy rehearsal (DC-5): `./meridian rehearse [ENV]` applies every stack of ENV, in dependency
order, against the offline stand-in with local state, so consumers read producers' real outputs."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from config.model import ENVIRONMENTS
from tools.tfplan import terraform
from tools.tfplan.environment import StackResult, plan_stacks
from tools.tfplan.synth import SynthError, synthesize
from tools.tfplan.workspace import prepare


def rehearse(environment: str, work_root: Path) -> list[StackResult]:
    terraform.progress(f"synthesizing {environment}")
    synth_outdir = synthesize(environment, work_root / "synth")
    return plan_stacks(prepare(synth_outdir, work_root / "stacks", provider="offline"), apply=True)


def main(argv: list[str]) -> int:
    environment = argv[0] if argv else "dev"
    if environment not in ENVIRONMENTS:
        print(
            f"meridian rehearse: environment {environment!r} is unknown; allowed: {', '.join(ENVIRONMENTS)}",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as work:
        try:
            results = rehearse(environment, Path(work))
        except (SynthError, terraform.TerraformError) as error:
            print(f"meridian rehearse: {error}", file=sys.stderr)
            return 1
        for result in results:
            outputs = sorted(result.workspace.outputs())
            print(
                f"{result.workspace.name}: applied {result.plan.counts()['create']} resources; outputs: {', '.join(outputs)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
