"""Checkov policy gate (QA-2): zero failed checks, except those listed in the one suppression file.

    python -m tools.checkov.gate <synth-outdir> [<synth-outdir> ...] [--suppressions FILE]

Scans every stack of the given cdktf outputs in one Checkov run, applies
tools/checkov/suppressions.yaml, and fails (exit 1) on any failed check no entry covers and on any
STALE entry, one that matched nothing in any scanned output, so the file never outlives the
exceptions it documents. Exit 2 when the gate cannot run (Checkov missing or broken, no stacks,
a malformed suppression file). Progress goes to stderr, the verdict to stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tools.checkov.scan import Finding, ScanError, ScanResult, checkov_executable, find_stacks, scan, stderr_progress
from tools.checkov.suppressions import DEFAULT_PATH, Suppression, SuppressionFileError, load_suppressions


class GateError(RuntimeError):
    """The gate could not reach a verdict; the message says what to do."""


@dataclass(frozen=True)
class GateReport:
    scan: ScanResult
    failures: tuple[Finding, ...]  # failed checks no suppression covers
    suppressed: tuple[tuple[Finding, Suppression], ...]
    stale: tuple[Suppression, ...]  # entries that matched no failed check anywhere

    @property
    def passed(self) -> bool:
        return not self.failures and not self.stale

    def failures_in(self, output: Path) -> list[Finding]:
        return [finding for finding in self.failures if finding.output == Path(output).resolve()]


def evaluate(scan_result: ScanResult, suppressions: list[Suppression]) -> GateReport:
    failures: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    used: set[Suppression] = set()
    for finding in scan_result.findings:
        entry = next((s for s in suppressions if s.matches(finding.check_id, finding.stack, finding.resource)), None)
        if entry is None:
            failures.append(finding)
        else:
            suppressed.append((finding, entry))
            used.add(entry)
    stale = tuple(entry for entry in suppressions if entry not in used)
    return GateReport(scan_result, tuple(failures), tuple(suppressed), stale)


def run_gate(
    outputs: Iterable[Path],
    suppressions_path: Path = DEFAULT_PATH,
    progress: Callable[[str], None] = stderr_progress,
) -> GateReport:
    try:
        suppressions = load_suppressions(suppressions_path)
        checkov = checkov_executable()
        stacks = find_stacks(outputs)
        for output in dict.fromkeys(stack.output for stack in stacks):
            names = ", ".join(stack.name for stack in stacks if stack.output == output)
            progress(f"scanning {output}: {names}")
        progress(f"running Checkov ({checkov}) once over {len(stacks)} stacks")
        result = scan(stacks, checkov, progress)
    except (ScanError, SuppressionFileError) as error:
        raise GateError(str(error)) from error
    progress(
        f"Checkov {result.checkov_version} finished in {result.seconds:.1f} s: "
        f"{result.passed} checks passed, {len(result.findings)} failed"
    )
    return evaluate(result, suppressions)


def render(report: GateReport, suppressions_path: Path) -> str:
    lines = [f"FAILED {f.check_id} {f.stack} {f.resource}: {f.check_name} ({f.output})" for f in report.failures]
    lines += [
        f"STALE  {entry.describe()}: matched no failed check in any scanned output; remove it from {suppressions_path}"
        for entry in report.stale
    ]
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(
        f"policy gate {verdict}: {len(report.failures)} unsuppressed failed checks, "
        f"{len(report.suppressed)} suppressed by {suppressions_path}, {len(report.stale)} stale suppressions"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.checkov.gate", description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="+", type=Path, help="cdktf output folders (holding stacks/<stack>/)")
    parser.add_argument(
        "--suppressions", type=Path, default=DEFAULT_PATH, help="suppression file (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        report = run_gate(args.outputs, args.suppressions)
    except GateError as error:
        print(f"policy gate: cannot run: {error}", file=sys.stderr)
        return 2
    print(render(report, args.suppressions))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
