"""QA-2: Checkov scans every synthesized stack; zero failed checks but those listed, with a reason,
once, in tools/checkov/suppressions.yaml; a suppression that matches nothing fails the gate.

Checkov is slow, so one session fixture runs it once over dev, staging and prod (the session's
shared synth, `synthesized` in conftest.py), dev in the NAT cost mode (`nat_instances`, whose
NAT instances the shipped configs never create) and dev with the payment service deployed
(`deployed`, whose ECS service and autoscaling the shipped configs never create), and the tests read
that one report. Only the test that
proves the gate bites runs Checkov again, on a tiny stack of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tools.checkov.gate import GateError, GateReport, evaluate, render, run_gate
from tools.checkov.scan import CHECKOV_ENV, Finding, ScanResult
from tools.checkov.suppressions import (
    DEFAULT_PATH,
    Suppression,
    SuppressionFileError,
    entry_problems,
    load_suppressions,
    stable_address,
)

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("dev", "staging", "prod")


def require_checkov() -> None:
    if not os.environ.get(CHECKOV_ENV):
        pytest.fail(f"{CHECKOV_ENV} is not set: run the tests through `./meridian test`, which installs Checkov")


@pytest.fixture(scope="session")
def gate_report(synthesized, nat_instances, deployed) -> GateReport:
    require_checkov()
    try:
        return run_gate([synthesized[env].outdir for env in ENVIRONMENTS] + [nat_instances.outdir, deployed.outdir])
    except GateError as error:
        pytest.fail(f"the policy gate could not run: {error}")


@pytest.fixture(scope="session")
def suppression_entries() -> list[dict]:
    return yaml.safe_load(DEFAULT_PATH.read_text()) or []


@pytest.mark.req("QA-2")
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_unsuppressed_failed_check(gate_report, synthesized, environment):
    # GIVEN every stack of the environment, WHEN Checkov scans it and the suppression file applies
    failures = gate_report.failures_in(synthesized[environment].outdir)
    # THEN nothing fails
    assert not failures, "\n".join(f"{f.check_id} {f.stack} {f.resource}: {f.check_name}" for f in failures)


@pytest.mark.req("QA-2")
@pytest.mark.req("NET-2")
def test_no_unsuppressed_failed_check_with_nat_instances(gate_report, nat_instances):
    failures = gate_report.failures_in(nat_instances.outdir)
    assert not failures, "\n".join(f"{f.check_id} {f.stack} {f.resource}: {f.check_name}" for f in failures)


@pytest.mark.req("QA-2")
@pytest.mark.req("APP-4")
def test_no_unsuppressed_failed_check_with_the_service_deployed(gate_report, deployed):
    failures = gate_report.failures_in(deployed.outdir)
    assert not failures, "\n".join(f"{f.check_id} {f.stack} {f.resource}: {f.check_name}" for f in failures)
    # the app tier's one suppression (no member while the switch is off) is not needed here: the service attaches it
    deployed_output = deployed.outdir.resolve()
    assert [
        f.resource for f, _ in gate_report.suppressed if f.output == deployed_output and "app-security" in f.resource
    ] == []


@pytest.mark.req("QA-2")
def test_every_stack_was_scanned(gate_report, synthesized):
    scanned = {stack.name for stack in gate_report.scan.stacks}
    assert scanned == {name for env in ENVIRONMENTS for name in synthesized[env].stacks}


@pytest.mark.req("QA-2")
def test_no_stale_suppression(gate_report):
    assert not gate_report.stale, "remove from suppressions.yaml: " + "; ".join(s.describe() for s in gate_report.stale)


@pytest.mark.req("QA-2")
def test_every_suppression_names_a_specific_resource_and_says_why(suppression_entries):
    for entry in suppression_entries:
        assert entry_problems(entry) == [], entry
        assert entry["resource"].split(".")[-1].strip("*?") != "", f"{entry['resource']} names no resource"
        assert len(entry["reason"].split()) >= 8, f"{entry['check']} {entry['resource']}: the reason says too little"


@pytest.mark.req("QA-2")
def test_each_check_and_resource_is_listed_once(suppression_entries):
    pairs = Counter((entry["check"], stable_address(entry["resource"])) for entry in suppression_entries)
    assert [pair for pair, count in pairs.items() if count > 1] == []
    assert len(load_suppressions()) == len(suppression_entries)


CANARY_STACK = {
    "provider": {"aws": [{"region": "us-east-1"}]},
    "resource": {
        "aws_s3_bucket": {"canary_bucket_0A1B2C3D": {"bucket": "policy-gate-canary"}},
        # cdktf renders policies as JSON strings; the gate must read them, not pass them unread
        "aws_kms_key": {
            "canary_key_0A1B2C3D": {
                "enable_key_rotation": True,
                "policy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
                        ],
                    }
                ),
            }
        },
        "aws_security_group": {
            "canary_ssh_0A1B2C3D": {
                "name": "policy-gate-canary",
                "description": "SSH open to the world",
                "ingress": [
                    {
                        "description": "ssh",
                        "from_port": 22,
                        "to_port": 22,
                        "protocol": "tcp",
                        "cidr_blocks": ["0.0.0.0/0"],
                    }
                ],
            }
        },
    },
}


@pytest.mark.req("QA-2")
def test_the_gate_bites_on_an_unencrypted_bucket_world_open_ssh_and_a_key_open_to_anyone(tmp_path):
    require_checkov()
    # GIVEN a synthesized output with an unencrypted bucket, SSH open to 0.0.0.0/0 and a KMS key
    # whose policy lets any principal use it, and no suppressions
    stack_dir = tmp_path / "out" / "stacks" / "policy-gate-canary"
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(CANARY_STACK))
    (tmp_path / "none.yaml").write_text("[]\n")
    # WHEN the gate runs as CI runs it
    gate = subprocess.run(
        [sys.executable, "-m", "tools.checkov.gate", str(tmp_path / "out"), "--suppressions", tmp_path / "none.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    # THEN it fails and names each resource with its check
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "scanning" in gate.stderr and "policy-gate-canary" in gate.stderr
    assert "FAILED CKV_AWS_24 policy-gate-canary aws_security_group.canary_ssh_0A1B2C3D" in gate.stdout
    assert "FAILED CKV_AWS_145 policy-gate-canary aws_s3_bucket.canary_bucket_0A1B2C3D" in gate.stdout
    assert "FAILED CKV_AWS_33 policy-gate-canary aws_kms_key.canary_key_0A1B2C3D" in gate.stdout


def _scan_of(*findings: Finding) -> ScanResult:
    return ScanResult("test", (), passed=1, findings=findings, seconds=0.0)


def test_a_suppression_matches_its_construct_in_every_environment_and_nothing_else():
    log_bucket = "aws_s3_bucket.remote-state_access-logs_bucket"
    entry = Suppression("CKV_AWS_145", log_bucket, "r", ("meridian-*-state",))
    assert entry.matches("CKV_AWS_145", "meridian-prod-state", f"{log_bucket}_82DE9983")
    assert entry.matches("CKV_AWS_145", "meridian-dev-state", f"{log_bucket}_1A2B3C4D")
    assert not entry.matches("CKV_AWS_145", "meridian-prod-primary", f"{log_bucket}_82DE9983")
    assert not entry.matches("CKV_AWS_144", "meridian-prod-state", f"{log_bucket}_82DE9983")
    assert not entry.matches("CKV_AWS_145", "meridian-prod-state", "aws_s3_bucket.remote-state_bucket_9B5F1477")


def test_an_unused_suppression_is_stale_and_fails_the_gate():
    finding = Finding("CKV_AWS_24", "ssh open", "meridian-dev-primary", Path("/out"), "aws_security_group.app_1A2B3C4D")
    used = Suppression("CKV_AWS_24", "aws_security_group.app", "r", ())
    unused = Suppression("CKV_AWS_7", "aws_kms_key.keys_logs_key", "r", ())
    report = evaluate(_scan_of(finding), [used, unused])
    assert report.failures == () and report.stale == (unused,) and not report.passed
    assert "STALE  CKV_AWS_7 aws_kms_key.keys_logs_key" in render(report, DEFAULT_PATH)


def test_a_vague_or_repeated_suppression_is_rejected(tmp_path):
    vague = {"check": "CKV_AWS_7", "resource": "aws_kms_key.*", "reason": "not needed"}
    repeated = {"check": "CKV_AWS_7", "resource": "aws_kms_key.keys_logs_key_1A2B3C4D", "reason": "x " * 10}
    path = tmp_path / "suppressions.yaml"
    path.write_text(yaml.safe_dump([vague, repeated, {**repeated, "resource": "aws_kms_key.keys_logs_key"}]))
    with pytest.raises(SuppressionFileError) as error:
        load_suppressions(path)
    message = str(error.value)
    assert "does not name a specific resource" in message and "at least 8 words" in message
    assert "listed twice" in message


def test_without_checkov_the_gate_says_to_run_through_meridian(monkeypatch, tmp_path):
    monkeypatch.delenv(CHECKOV_ENV, raising=False)
    with pytest.raises(GateError, match=r"\./meridian test"):
        run_gate([tmp_path])
