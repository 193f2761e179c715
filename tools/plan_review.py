"""The main job: `./meridian review [ENV] [--base REF]`: what a change does, as a pull-request comment.

Without --base, every stack of ENV is planned against the state it would change: offline (the
default) that is empty local state on the stand-in, each stack applied before its consumers plan;
with MERIDIAN_TF_PROVIDER=registry and AWS credentials it is the real S3 backend and state, and
nothing is applied. With --base REF (offline only), REF is synthesized in a temporary git worktree
and applied on the stand-in, and the current tree is planned against that state: the delta a merge
would make. The review goes to stdout and to a Markdown and a JSON file; with --fail-on-data-loss
(or MERIDIAN_REVIEW_FAIL_ON_DATA_LOSS=1) the command exits 3 when a resource holding data would be
destroyed or replaced.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from config.model import ENVIRONMENTS
from tools.tfplan import terraform
from tools.tfplan.base_review import BaseRevisionError, StartSynth, plan_against_base
from tools.tfplan.environment import plan_stacks
from tools.tfplan.review import Review, build_review
from tools.tfplan.synth import ROOT, SynthError, start_synth, synthesize
from tools.tfplan.workspace import in_place, prepare, provider_mode

FAIL_ON_DATA_LOSS_VARIABLE = "MERIDIAN_REVIEW_FAIL_ON_DATA_LOSS"
EXIT_DATA_LOSS = 3


class UsageError(Exception):
    """A command-line choice that cannot work, said in one sentence (exit 2)."""


def review(environment: str, base: str | None, repo: Path = ROOT, start: StartSynth | None = None) -> Review:
    offline = provider_mode() != "registry"
    with tempfile.TemporaryDirectory(prefix="meridian-review-") as scratch_dir:
        scratch = Path(scratch_dir)
        if base is not None:
            if not offline:
                raise UsageError(
                    "--base rehearses the base revision on the offline stand-in; with MERIDIAN_TF_PROVIDER=registry "
                    "the real state already is the base: drop --base"
                )
            start = start or (lambda tree, outdir: start_synth(environment, outdir, root=tree))
            commit, plans = plan_against_base(repo, base, start, scratch)
            return build_review(environment, "offline stand-in, local state", commit, plans)
        terraform.progress(f"synthesizing {environment}")
        synth_outdir = synthesize(environment, scratch / "synth")
        if offline:
            results = plan_stacks(prepare(synth_outdir, scratch / "work", provider="offline"), apply=True)
        else:
            # Against real AWS: the stacks as synthesized (S3 backend, real state), plan only.
            results = plan_stacks(in_place(synth_outdir), apply=False)
        mode = "offline stand-in, empty local state" if offline else "registry provider, remote state"
        return build_review(environment, mode, None, [(r.workspace.name, r.plan) for r in results])


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./meridian review", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("environment", nargs="?", default="dev", choices=ENVIRONMENTS)
    parser.add_argument(
        "--base", metavar="REF", help="git revision whose applied state the current tree is planned against"
    )
    parser.add_argument("--out", type=Path, help="Markdown file to write (default reports/plan-review-ENV.md)")
    parser.add_argument("--json", type=Path, help="JSON file to write (default reports/plan-review-ENV.json)")
    parser.add_argument(
        "--fail-on-data-loss",
        action="store_true",
        default=os.environ.get(FAIL_ON_DATA_LOSS_VARIABLE) == "1",
        help=f"exit {EXIT_DATA_LOSS} when a resource holding data would be destroyed or replaced "
        f"(also {FAIL_ON_DATA_LOSS_VARIABLE}=1)",
    )
    return parser.parse_args(argv)


def main(argv: list[str], repo: Path = ROOT, start: StartSynth | None = None) -> int:
    args = parse(argv)
    out = args.out or repo / "reports" / f"plan-review-{args.environment}.md"
    json_out = args.json or out.with_suffix(".json")
    started = time.perf_counter()
    try:
        result = review(args.environment, args.base, repo, start)
    except UsageError as error:
        print(f"meridian review: {error}", file=sys.stderr)
        return 2
    except (SynthError, BaseRevisionError, terraform.TerraformError) as error:
        print(f"meridian review: {error}", file=sys.stderr)
        return 1
    markdown = result.to_markdown()
    for path, text in ((out, markdown), (json_out, result.to_json())):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    print(markdown)
    terraform.progress(f"done in {time.perf_counter() - started:.0f} s; written to {out} and {json_out}")
    if args.fail_on_data_loss and result.data_loss:
        print(
            f"meridian review: {len(result.data_loss)} resource(s) holding data would be destroyed or replaced "
            f"({', '.join(d.address for d in result.data_loss)}); failing as asked",
            file=sys.stderr,
        )
        return EXIT_DATA_LOSS
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
