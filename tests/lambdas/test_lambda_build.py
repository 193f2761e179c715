"""Packaging: each function and its pinned dependencies as a deterministic, self-contained zip (LAM-3)."""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from payment_service.config import RDS_CA_BUNDLE
from tests.support.event_sources import queue_arn, receive_batch, sqs_event
from tests.support.synth import synth_env
from tools.lambda_build import RUNTIME, build, function_names
from tools.lambda_build.archive import deterministic_zip
from tools.lambda_build.build import default_cache_dir
from tools.lambda_build.pins import PinError, render, roots
from tools.lambda_build.target import LAMBDA_SRC, LOCK_FILE, REPO_ROOT

pytestmark = pytest.mark.req("LAM-3")

FUNCTIONS = ["notifier", "rotation", "stream_processor"]
# What the python3.11 Lambda runtime brings: the SDK and the packages it needs.
RUNTIME_SDK = ["boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3"]


def quiet(_: str) -> None:
    """Progress lines are for people; the tests read results."""


def copy_sources(destination: Path, reverse: bool = False, mtime: float | None = None, mode: int | None = None) -> Path:
    """lambda_src copied file by file (optionally in reverse order, with other times and permissions)."""
    files = sorted(path for path in LAMBDA_SRC.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    for source in reversed(files) if reverse else files:
        target = destination / source.relative_to(LAMBDA_SRC)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        if mtime is not None:
            os.utime(target, (mtime, mtime))
        if mode is not None:
            target.chmod(mode)
    return destination


def test_every_function_folder_is_built():
    assert function_names() == FUNCTIONS


def test_the_same_sources_give_the_same_bytes_whatever_their_times_permissions_and_order(tmp_path):
    # GIVEN the sources twice: once as checked out, once written in reverse order, with other
    # modification times and permissions, and bytecode lying around
    plain = copy_sources(tmp_path / "plain")
    other = copy_sources(tmp_path / "other", reverse=True, mtime=1_000_000_000, mode=0o600)
    (other / "notifier" / "__pycache__").mkdir()
    (other / "notifier" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"stale bytecode")
    # WHEN each is built
    first, second = (build("notifier", source_root=root, announce=quiet, reuse=False) for root in (plain, other))
    # THEN the zips are byte for byte the same, and so is the hash that drives a redeploy
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256_b64 == second.sha256_b64 == build("notifier", announce=quiet, reuse=False).sha256_b64


def test_a_zip_built_before_from_the_same_inputs_is_reused_and_a_damaged_one_rebuilt(tmp_path, monkeypatch):
    sources = copy_sources(tmp_path / "src")
    built = build("notifier", source_root=sources, announce=quiet)
    # GIVEN a zip built before from exactly these sources and dependencies
    # WHEN the function is built again THEN nothing is compressed (synth does this on every run)
    builder = sys.modules["tools.lambda_build.build"]  # the module, which the package's `build` function hides
    monkeypatch.setattr(builder, "deterministic_zip", lambda files: pytest.fail("compressed again"))
    assert build("notifier", source_root=sources, announce=quiet) == built
    # AND WHEN that zip was damaged on disk THEN it is built again, to the same bytes
    monkeypatch.undo()
    intact = built.path.read_bytes()
    built.path.write_bytes(intact[:-1] + bytes([intact[-1] ^ 1]))
    assert build("notifier", source_root=sources, announce=quiet) == built
    assert built.path.read_bytes() == intact


@pytest.fixture(scope="module")
def own_cache(tmp_path_factory) -> Path:
    """A Lambda zip cache of this module's own, its pinned dependencies shared with the project's cache."""
    cache = tmp_path_factory.mktemp("lambda-cache")
    shared_dependencies = default_cache_dir() / "lambda-deps"
    shared_dependencies.mkdir(parents=True, exist_ok=True)
    (cache / "lambda-deps").symlink_to(shared_dependencies)
    return cache


def garble(record: Path, content: bytes | None) -> None:
    """Replaces the build record with `content`, or with a folder (a record that cannot be read) for None."""
    if record.is_dir():
        record.rmdir()
    elif record.exists():
        record.unlink()
    if content is None:
        record.mkdir()
    else:
        record.write_bytes(content)


GARBLED_RECORDS = {
    "cut short": lambda digest: digest[:33],
    "cut short at an even length": lambda digest: digest[:32],
    "not text": lambda digest: b"\xff\xfe" + digest[2:],
    "empty": lambda digest: b"",
    "with a stray line": lambda digest: digest + b"\n" + digest,
    "unreadable": lambda digest: None,
}


@pytest.mark.parametrize("damage", GARBLED_RECORDS.values(), ids=GARBLED_RECORDS.keys())
def test_a_garbled_build_record_is_no_record_the_zip_is_built_again(own_cache, monkeypatch, damage):
    # GIVEN a zip built before, and the record of its inputs garbled on disk
    built = build("notifier", cache_dir=own_cache, announce=quiet)
    (record,) = (own_cache / "lambda-zips" / "inputs").glob("notifier-*")
    good = hashlib.sha256(built.path.read_bytes()).hexdigest().encode("ascii")
    garble(record, damage(good))
    builder = sys.modules["tools.lambda_build.build"]
    compressed = []
    monkeypatch.setattr(builder, "deterministic_zip", lambda files: compressed.append(1) or deterministic_zip(files))
    said: list[str] = []
    # WHEN the function is built THEN it is compressed again, to the same zip, and one line names the record
    assert build("notifier", cache_dir=own_cache, announce=said.append) == built
    assert compressed == [1]
    assert said[0].startswith(f"notifier: build record {record} is ") and said[0].endswith("; building the zip again")
    # AND the record is whole again (when it can be written), so the next build reuses the zip
    if record.is_file():
        assert record.read_bytes() == good
        assert build("notifier", cache_dir=own_cache, announce=quiet) == built and compressed == [1]
    garble(record, good)


def run_build_command(*names: str, cache: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m tools.lambda_build NAME ...` as a user runs it (with `cache` as MERIDIAN_CACHE)."""
    return subprocess.run(
        [sys.executable, "-m", "tools.lambda_build", *names],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **({"MERIDIAN_CACHE": str(cache)} if cache else {})},
    )


def test_the_build_command_facing_a_record_cut_short_builds_again_without_a_traceback(own_cache):
    # GIVEN the record of a built zip cut short, as a build killed mid-write before records were renamed into place
    built = build("notifier", cache_dir=own_cache, announce=quiet)
    (record,) = (own_cache / "lambda-zips" / "inputs").glob("notifier-*")
    good = hashlib.sha256(built.path.read_bytes()).hexdigest().encode("ascii")
    garble(record, good[:33])
    # WHEN the build runs as its own command (synth builds through the same function)
    result = run_build_command("notifier", cache=own_cache)
    # THEN it succeeds, saying in one line which record it ignored, and the record is whole again
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert f"build record {record} is not a SHA-256 in hex; building the zip again" in result.stderr
    assert record.read_bytes() == good


@pytest.mark.req("LAM-3")
@pytest.mark.req("DC-11")
def test_synth_that_cannot_build_a_function_says_so_in_one_line_and_writes_nothing(tmp_path):
    # GIVEN an empty build cache and no package index to install the functions' dependencies from
    env = synth_env(MERIDIAN_CACHE=str(tmp_path / "cache"), PIP_NO_INDEX="1", CDKTF_OUTDIR=str(tmp_path / "out"))
    # WHEN the environment is synthesized
    result = subprocess.run(
        [sys.executable, "main.py", "dev"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    # THEN synth stops with one line naming the function, no traceback, and no stack written
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    (last,) = [line for line in result.stderr.splitlines() if line.startswith("meridian:")]
    assert re.fullmatch(r"meridian: cannot build \w+: .+", last), last
    assert not list((tmp_path / "out").rglob("*.json"))


def test_a_file_that_fails_mid_write_leaves_the_old_one_whole_and_no_temporary_file(tmp_path, monkeypatch):
    # GIVEN a record on disk, and a disk that fills up while the new one is written
    builder = sys.modules["tools.lambda_build.build"]
    (tmp_path / "record").write_bytes(b"old")

    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(builder.os, "fsync", disk_full)
    # WHEN it is written THEN the write fails, the old record is untouched and nothing else is left
    with pytest.raises(OSError, match="No space left"):
        builder._store(tmp_path, "record", b"new and longer")
    assert [path.name for path in tmp_path.iterdir()] == ["record"]
    assert (tmp_path / "record").read_bytes() == b"old"


def test_a_changed_source_changes_the_hash(tmp_path):
    sources = copy_sources(tmp_path / "src")
    before = build("stream_processor", source_root=sources, announce=quiet)
    handler = sources / "stream_processor" / "handler.py"
    handler.write_text(handler.read_text() + "\n# a change\n")
    after = build("stream_processor", source_root=sources, announce=quiet)
    assert after.sha256_b64 != before.sha256_b64 and after.path != before.path


def test_dependencies_installed_afresh_give_the_same_bytes(tmp_path):
    cached = build("stream_processor", announce=quiet)
    fresh = build("stream_processor", cache_dir=tmp_path / "empty-cache", announce=quiet)
    assert fresh.path.read_bytes() == cached.path.read_bytes()


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_zip_holds_the_function_and_its_dependencies_with_fixed_metadata(name):
    built = build(name, announce=quiet)
    data = built.path.read_bytes()
    assert built.sha256_b64 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert (built.handler, built.runtime) == (f"{name}.handler.lambda_handler", RUNTIME)
    with zipfile.ZipFile(built.path) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {(info.date_time, info.external_attr >> 16) for info in infos} == {((1980, 1, 1, 0, 0, 0), 0o100644)}
    assert f"{name}/handler.py" in names and "aws_lambda_powertools/__init__.py" in names
    assert not [n for n in names if n.endswith((".pyc", "/RECORD", "requirements.txt")) or n.startswith("bin/")]
    assert not [n for n in names if n.startswith(("boto3/", "botocore/"))]  # the runtime has them


def test_each_requirements_file_is_the_lock_pins_with_hashes_of_what_the_function_imports():
    lock = json.loads(LOCK_FILE.read_text())
    pipfile = (REPO_ROOT / "Pipfile").read_text()
    for name in FUNCTIONS:
        folder = LAMBDA_SRC / name
        pinned = (folder / "requirements.txt").read_text()
        assert pinned == render(folder / "requirements.in", lock), "stale: run python -m tools.lambda_build --pin"
        for root in roots(folder / "requirements.in"):
            package = re.sub(r"\[.*\]", "", root)
            version = lock["develop"][package]["version"]
            assert f"\n{package}{version} \\" in pinned
            if package in ("aws-lambda-powertools", "pg8000"):  # the Pipfile pins what the tests run
                assert re.search(rf'^{package} = .*"{re.escape(version)}"', pipfile, re.M)


def test_a_requirement_the_lock_does_not_have_is_refused_by_name(tmp_path):
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text("aws-lambda-powertools[tracer]\nleft-pad\n")
    with pytest.raises(PinError, match="left-pad is not in Pipfile.lock; pin it in the Pipfile's dev-packages"):
        render(requirements_in, json.loads(LOCK_FILE.read_text()))


def test_a_dependency_whose_hash_does_not_match_is_refused(tmp_path):
    sources = copy_sources(tmp_path / "src")
    requirements = sources / "stream_processor" / "requirements.txt"
    text = requirements.read_text()
    jmespath = re.search(r"^jmespath==.*?(?=^\S)", text, re.M | re.S)
    assert jmespath
    forged = re.sub("[0-9a-f]{64}", "0" * 64, jmespath.group(0))
    requirements.write_text(text.replace(jmespath.group(0), forged))
    with pytest.raises(Exception, match="cannot build stream_processor: pip could not install"):
        build("stream_processor", source_root=sources, cache_dir=tmp_path / "cache", announce=quiet)
    assert not list((tmp_path / "cache" / "lambda-deps").iterdir())  # nothing half-installed stays


def test_an_unknown_function_is_one_line_naming_the_ones_there_are():
    result = run_build_command("refunds")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"lambda-build: error: no Lambda function 'refunds' in {LAMBDA_SRC}; "
        "the functions are: notifier, rotation, stream_processor"
    ]


RUN_FROM_ZIP = """
import importlib, json, sys
code, sdk, handler = sys.argv[1:4]
sys.path[:0] = [code, sdk]
module, function = handler.rsplit(".", 1)
handle = getattr(importlib.import_module(module), function)

class Context:
    function_name, memory_limit_in_mb, aws_request_id = "from-zip", 256, "r-1"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:from-zip"
    def get_remaining_time_in_millis(self):
        return 30000

event = json.load(sys.stdin)
response = handle(event, Context()) if event else None
outside = sorted({name.split(".")[0] for name, loaded in sys.modules.items()
                  if getattr(loaded, "__file__", None) and not loaded.__file__.startswith((code, sdk, sys.base_prefix))})
print(json.dumps({"response": response, "loaded_from_outside": outside}))
"""


@pytest.fixture
def runtime_sdk(tmp_path) -> Path:
    """A folder with only what the Lambda runtime adds to the standard library: boto3 and its needs."""
    packages = Path(boto3.__file__).parent.parent
    sdk = tmp_path / "runtime-sdk"
    sdk.mkdir()
    for name in RUNTIME_SDK:
        (sdk / name).symlink_to(packages / name)
    return sdk


def run_from_zip(built, runtime_sdk: Path, tmp_path: Path, event: dict | None, env: dict[str, str]) -> dict:
    code = tmp_path / f"{built.name}-code"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(code)
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", RUN_FROM_ZIP, str(code), str(runtime_sdk), built.handler],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["rotation", "stream_processor"])
def test_the_zip_imports_with_the_runtime_sdk_alone(name, runtime_sdk, tmp_path):
    outcome = run_from_zip(
        build(name, announce=quiet), runtime_sdk, tmp_path, None, {"PATH": os.environ.get("PATH", os.defpath)}
    )
    assert outcome["loaded_from_outside"] == []


@pytest.mark.req("LAM-1")
def test_the_rotation_zip_verifies_the_database_with_the_rds_bundle_the_payment_service_vendors(runtime_sdk, tmp_path):
    # GIVEN the built rotation function, unpacked, and no DB_SSL_ROOT_CERT in its environment
    built = build("rotation", announce=quiet)
    code = tmp_path / "code"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(code)
    assert (code / "rotation" / "rds-global-bundle.pem").read_bytes() == RDS_CA_BUNDLE.read_bytes()
    # WHEN its settings load THEN they name that bundle, which loads as the trust anchors of its TLS
    probe = (
        "import sys; sys.path[:0] = sys.argv[1:3]; from rotation.database import DatabaseSettings; "
        "settings = DatabaseSettings.from_env({}); "
        "print(settings.ca_bundle, settings.tls_context().cert_store_stats()['x509_ca'])"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(code), str(runtime_sdk)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == [str(code / "rotation" / "rds-global-bundle.pem"), "115"], result.stderr


@pytest.mark.req("LAM-2")
def test_the_notifier_zip_publishes_an_event_with_nothing_but_the_runtime_sdk_beside_it(
    aws, payments, payment_event, runtime_sdk, tmp_path
):
    # GIVEN the built notifier unpacked as Lambda unpacks it, and a valid event on its queue
    event = payment_event()
    payments.sqs.send_message(QueueUrl=payments.events_queue_url, MessageBody=json.dumps(event))
    received = receive_batch(payments.sqs, payments.events_queue_url)
    lambda_event = sqs_event(received, queue_arn(payments.sqs, payments.events_queue_url))
    env = {
        **aws.sdk_environment(),
        "PATH": os.environ.get("PATH", os.defpath),
        "TOPIC_ARN": payments.topic_arn,
        "DEAD_LETTER_QUEUE_URL": payments.dead_letter_queue_url,
    }
    # WHEN the zip's handler runs in a Python that sees only the zip, the SDK and the standard library
    outcome = run_from_zip(build("notifier", announce=quiet), runtime_sdk, tmp_path, lambda_event, env)
    # THEN it publishes the event, and every module it loaded came from there
    assert outcome == {"response": {"batchItemFailures": []}, "loaded_from_outside": []}
    delivered = payments.received(payments.subscriber_queue_url)
    assert [json.loads(message["Body"]) for message in delivered] == [event]
