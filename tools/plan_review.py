"""The main job: `./meridian review [ENV] [--out FILE]`: plan every stack of ENV, print Markdown.

Offline (the default) it synthesizes ENV, plans each stack against the stand-in provider with local
state, applying each stack before its consumers plan so cross-stack outputs resolve. With
MERIDIAN_TF_PROVIDER=registry and AWS credentials it plans in place against the real S3 backend
and real state instead, and applies nothing. The Markdown also goes to a file a CI job can post.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from config.model import ENVIRONMENTS
from tools.tfplan import terraform
from tools.tfplan.environment import plan_stacks
from tools.tfplan.review import environment_summary
from tools.tfplan.synth import ROOT, SynthError, synthesize
from tools.tfplan.workspace import in_place, prepare, provider_mode


def review(environment: str, out: Path) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        terraform.progress(f"synthesizing {environment}")
        synth_outdir = synthesize(environment, Path(scratch) / "synth")
        offline = provider_mode() != "registry"
        if offline:
            results = plan_stacks(prepare(synth_outdir, Path(scratch) / "work", provider="offline"), apply=True)
        else:
            # Against real AWS: the stacks as synthesized (S3 backend, real state), plan only.
            results = plan_stacks(in_place(synth_outdir), apply=False)
        mode = "offline stand-in, local state" if offline else "registry provider, remote state"
        markdown = environment_summary(environment, [(r.workspace.name, r.plan) for r in results], mode)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown + "\n")
    return markdown


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./meridian review", description=__doc__.splitlines()[0])
    parser.add_argument("environment", nargs="?", default="dev", choices=ENVIRONMENTS)
    parser.add_argument("--out", type=Path, help="Markdown file to write (default reports/plan-review-ENV.md)")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "reports" / f"plan-review-{args.environment}.md"
    started = time.perf_counter()
    try:
        markdown = review(args.environment, out)
    except (SynthError, terraform.TerraformError) as error:
        print(f"meridian review: {error}", file=sys.stderr)
        return 1
    print(markdown)
    terraform.progress(f"done in {time.perf_counter() - started:.0f} s; written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
