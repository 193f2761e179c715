"""One Checkov run over every stack of one or more cdktf outputs, read back as findings.

Checkov runs in its own virtualenv (its pins clash with cdktf's), so the gate shells out to the
executable that tools/bootstrap.sh exports as MERIDIAN_CHECKOV, through checkov_json_policies.py
so that policy checks read cdktf's JSON policy strings instead of passing them unread. Offline it
needs --skip-download and BC_SKIP_MAPPING=TRUE. cdktf writes JSON Terraform
(`stacks/<stack>/cdk.tf.json`), which only Checkov's `terraform_json` framework reads; `terraform`
finds nothing in it and passes silently. Each file is passed where it lies: Checkov links
references within a folder, and each stack keeps its own folder, so the primary and secondary
stacks (same addresses) are never mixed up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CHECKOV_ENV = "MERIDIAN_CHECKOV"
POLICY_DECODING_WRAPPER = Path(__file__).with_name("checkov_json_policies.py")
HEARTBEAT_SECONDS = 15
# A hung scan must not eat CI's whole budget; a full scan takes seconds to a few minutes.
TIMEOUT_SECONDS = 20 * 60


class ScanError(RuntimeError):
    """Checkov could not be run or its output cannot be trusted."""


@dataclass(frozen=True)
class Stack:
    name: str
    output: Path  # the cdktf output folder it was synthesized into
    file: Path  # stacks/<name>/cdk.tf.json


@dataclass(frozen=True)
class Finding:
    """One failed Checkov check on one resource of one stack."""

    check_id: str
    check_name: str
    stack: str
    output: Path
    resource: str  # Terraform address: aws_s3_bucket.remote-state_bucket_9B5F1477


@dataclass(frozen=True)
class ScanResult:
    checkov_version: str
    stacks: tuple[Stack, ...]
    passed: int
    findings: tuple[Finding, ...]
    seconds: float


def checkov_executable() -> Path:
    value = os.environ.get(CHECKOV_ENV, "")
    if not value:
        raise ScanError(
            f"{CHECKOV_ENV} is not set: run through ./meridian (e.g. `./meridian test`), whose set-up installs "
            "Checkov from tools/checkov/requirements.txt into its own virtualenv and exports it"
        )
    path = Path(value)
    if not os.access(path, os.X_OK) or not os.access(path.with_name("python"), os.X_OK):
        raise ScanError(
            f"{CHECKOV_ENV}={value} is not Checkov in a virtualenv (executable and python beside it); "
            "run `./meridian setup` to reinstall it"
        )
    return path


def find_stacks(outputs: Iterable[Path]) -> tuple[Stack, ...]:
    stacks: list[Stack] = []
    for output in outputs:
        found = sorted(Path(output).resolve().glob("stacks/*/cdk.tf.json"))
        if not found:
            raise ScanError(
                f"no synthesized stacks in {output} (expected stacks/<stack>/cdk.tf.json; synthesize first)"
            )
        stacks += [Stack(file.parent.name, Path(output).resolve(), file) for file in found]
    return tuple(stacks)


def scan(stacks: tuple[Stack, ...], checkov: Path, progress: Callable[[str], None]) -> ScanResult:
    started = time.monotonic()
    report = _run_checkov(checkov, [stack.file for stack in stacks], progress)
    by_file = {str(stack.file): stack for stack in stacks}
    addresses = {str(stack.file): _address_index(stack.file) for stack in stacks}
    findings: list[Finding] = []
    passed = failed = 0
    for section in report if isinstance(report, list) else [report]:
        summary = section.get("summary", section)
        passed, failed = passed + summary.get("passed", 0), failed + summary.get("failed", 0)
        if summary.get("parsing_errors"):
            raise ScanError(f"Checkov could not parse: {section.get('results', {}).get('parsing_errors')}")
        for record in section.get("results", {}).get("failed_checks", []):
            stack = by_file.get(os.path.abspath(record["file_abs_path"]))
            if stack is None:
                raise ScanError(f"Checkov reported a file the gate did not pass it: {record['file_abs_path']}")
            address = addresses[str(stack.file)].get(record["resource"], record["resource"])
            findings.append(Finding(record["check_id"], record["check_name"], stack.name, stack.output, address))
    if passed + failed == 0:
        raise ScanError(f"Checkov evaluated no check over {len(stacks)} stacks; the scan proves nothing")
    version = report[0] if isinstance(report, list) else report
    return ScanResult(
        checkov_version=version.get("summary", version).get("checkov_version", "unknown"),
        stacks=stacks,
        passed=passed,
        findings=tuple(sorted(findings, key=lambda f: (f.stack, f.resource, f.check_id))),
        seconds=time.monotonic() - started,
    )


def _run_checkov(checkov: Path, files: list[Path], progress: Callable[[str], None]) -> dict | list:
    # Checkov's own Python runs it through the wrapper that lets policy checks read JSON policies.
    command = [str(checkov.with_name("python")), str(POLICY_DECODING_WRAPPER)]
    command += ["--framework", "terraform_json", "--skip-download", "--output", "json", "--quiet"]
    # --soft-fail: failed checks are the gate's to judge; a non-zero exit then means Checkov broke.
    command += ["--soft-fail", "--file", *map(str, files)]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    # An empty working folder: Checkov reads a .checkov.yaml from where it runs.
    with tempfile.TemporaryDirectory(prefix="policy-gate-") as workdir:
        stdout_path, stderr_path = Path(workdir, "report.json"), Path(workdir, "checkov.log")
        run_dir = Path(workdir, "cwd")
        run_dir.mkdir()
        with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
            process = subprocess.Popen(command, cwd=run_dir, env=env, stdout=stdout, stderr=stderr)
            _wait(process, progress)
        output, log = stdout_path.read_text(), stderr_path.read_text()
    if process.returncode != 0:
        raise ScanError(f"Checkov exited with {process.returncode}:\n{log[-4000:]}")
    try:
        return json.loads(output)
    except json.JSONDecodeError as error:
        raise ScanError(f"Checkov printed no JSON report ({error}):\n{output[:2000]}\n{log[-2000:]}") from error


def _wait(process: subprocess.Popen, progress: Callable[[str], None]) -> None:
    started = time.monotonic()
    while True:
        try:
            process.wait(timeout=HEARTBEAT_SECONDS)
            return
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - started
            if elapsed > TIMEOUT_SECONDS:
                process.kill()
                process.wait()
                raise ScanError(f"Checkov did not finish within {TIMEOUT_SECONDS} s") from None
            progress(f"Checkov still scanning ({elapsed:.0f} s)")


def _address_index(stack_file: Path) -> dict[str, str]:
    """Checkov's names for this stack's blocks -> full Terraform addresses.

    Its graph checks report `aws_s3_bucket.NAME`, but its per-resource checks on .tf.json report
    `resource.NAME` (and `data.NAME`), without the type. cdktf logical IDs are unique within a
    stack, so the name alone recovers the address.
    """
    document = json.loads(stack_file.read_text())
    index: dict[str, str] = {}
    for block, prefix in (("resource", ""), ("data", "data.")):
        for type_, entries in document.get(block, {}).items():
            for name in entries:
                index[f"{block}.{name}"] = f"{prefix}{type_}.{name}"
    return index


def stderr_progress(message: str) -> None:
    print(f"[policy-gate] {message}", file=sys.stderr, flush=True)
