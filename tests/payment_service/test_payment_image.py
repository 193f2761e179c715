"""The container image, read from payment_service/Dockerfile: two stages, slim, non-root, a
HEALTHCHECK the image can run, pins equal to the lock; built for real when a Docker engine is
there (APP-1)."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID
from docker.utils.build import exclude_paths

from config.model import ENVIRONMENTS
from payment_service import config, pinned_requirements, rds_ca_bundle
from payment_service.dockerfile import exec_form, stages, steps
from payment_service.localservers import free_port

pytestmark = pytest.mark.req("APP-1")
SERVICE_DIR = Path(pinned_requirements.__file__).resolve().parent
REPO_ROOT = SERVICE_DIR.parent
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|cc|make|build-essential|apt-get|apk|pip3? install)\b")


@pytest.fixture(scope="module")
def image():
    return stages(SERVICE_DIR / "Dockerfile")


@pytest.fixture(scope="module")
def runtime(image):
    return image[-1]


def test_the_image_has_a_builder_stage_and_a_slim_python_runtime(image, runtime):
    assert len(image) >= 2
    assert re.fullmatch(r"python:3\.11[\w.]*-slim(-\w+)?", runtime["base"].split("@")[0])
    # Same base in both stages: the virtualenv's interpreter symlinks must resolve in the runtime.
    assert image[0]["base"] == runtime["base"]
    assert any("--from=builder" in copy for copy in steps(runtime, "COPY"))


def test_the_runtime_runs_as_uid_1000_and_carries_no_build_tools(runtime):
    assert steps(runtime, "USER")[-1] in ("1000", "1000:1000")
    assert any("--uid 1000" in run for run in steps(runtime, "RUN"))
    for run in steps(runtime, "RUN"):
        assert not BUILD_TOOLS.search(run), run


def test_the_healthcheck_runs_python_which_the_runtime_base_provides(runtime):
    [healthcheck] = steps(runtime, "HEALTHCHECK")
    command = exec_form(healthcheck)
    assert command == ["python", "-m", "payment_service", "healthcheck"]
    assert runtime["base"].startswith("python:")  # the official image puts python on PATH
    assert "healthcheck.py" in build_context(SERVICE_DIR), "the module the HEALTHCHECK runs is in the image"


@pytest.mark.req("APP-3")
def test_the_image_healthcheck_keeps_a_task_without_redis_healthy(runtime, service, launch, cli):
    # GIVEN the HEALTHCHECK command exactly as the Dockerfile (and so the ECS task definition) runs it
    command = exec_form(steps(runtime, "HEALTHCHECK")[0])
    assert command[:3] == ["python", "-m", "payment_service"]
    # WHEN it checks a task whose Redis is down, and one whose PostgreSQL is down
    without_redis = launch(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    without_postgres = launch(DATABASE_URL=f"postgresql://nobody:pw@127.0.0.1:{free_port()}/none")
    codes = [cli(command[3], {"UVICORN_PORT": str(s.port)}).returncode for s in (without_redis, without_postgres)]
    # THEN a cache outage does not fail the container (ECS would replace every task), a database outage does
    assert codes == [0, 1]


def test_the_port_is_declared_once_for_uvicorn_expose_and_the_healthcheck(runtime):
    environment = " ".join(steps(runtime, "ENV"))
    assert f"UVICORN_PORT={steps(runtime, 'EXPOSE')[0]}" in environment


def build_context(service_dir: Path) -> set[str]:
    """The files `docker build` sends, by Docker's own .dockerignore rules (docker-py's implementation)."""
    patterns = (service_dir / ".dockerignore").read_text().splitlines()
    return set(exclude_paths(str(service_dir), patterns, dockerfile="Dockerfile"))


def files_the_image_needs(runtime: dict) -> set[str]:
    """Every module the service, its `serve` command, its migrations and its HEALTHCHECK import, the
    pins the builder installs, the files the CMD names and the RDS CA bundle the service trusts by default."""
    probe = (
        "import sys, payment_service.app, payment_service.__main__, payment_service.serve, "
        "payment_service.migrations, payment_service.healthcheck; print(' '.join(sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    modules = {f"{name.split('.', 1)[1]}.py" for name in loaded if name.startswith("payment_service.")}
    named_by_cmd = {
        arg.split("/", 1)[1] for arg in exec_form(steps(runtime, "CMD")[0]) if arg.startswith("payment_service/")
    }
    ca_bundle = Path(config.RDS_CA_BUNDLE).relative_to(SERVICE_DIR).as_posix()  # the default trust for PostgreSQL
    return modules | named_by_cmd | {"__init__.py", "__main__.py", "requirements.txt", ca_bundle}


def test_the_build_context_holds_every_file_the_image_needs(runtime):
    needed = files_the_image_needs(runtime)
    assert {"healthcheck.py", "app.py", "log_config.json"} <= needed
    assert needed - build_context(SERVICE_DIR) == set()
    assert not {"bench.py", "localservers.py", "pinned_requirements.py", "README.md"} & build_context(SERVICE_DIR)


def test_a_dockerignore_pattern_that_drops_a_needed_module_is_caught(runtime, tmp_path):
    # GIVEN a copy of the service whose .dockerignore also drops `*check.py`, the HEALTHCHECK's module
    copy = tmp_path / "payment_service"
    shutil.copytree(SERVICE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / ".dockerignore", "a") as ignore:
        ignore.write("*check.py\n")
    # THEN Docker's rules leave it out of the build context and the check names it
    assert files_the_image_needs(runtime) - build_context(copy) == {"healthcheck.py"}


def test_the_runtime_removes_the_base_images_pip(runtime):
    # python:3.11-slim ships pip; no docker engine here, so the build test may not run: read the step
    assert any(re.search(r"python -m pip uninstall --yes( --quiet)? pip\b", run) for run in steps(runtime, "RUN"))


def test_the_image_requirements_are_the_lock_pins_with_hashes():
    lock = json.loads(pinned_requirements.LOCK_FILE.read_text())
    assert pinned_requirements.REQUIREMENTS_FILE.read_text() == pinned_requirements.render(lock), (
        "stale: run python -m payment_service.pinned_requirements"
    )
    pipfile = (REPO_ROOT / "Pipfile").read_text()
    for package in pinned_requirements.RUNTIME_PACKAGES:
        pin = re.search(rf'^{package} = "(==[^"]+)"', pipfile, re.M).group(1)
        assert f"\n{package}{pin} \\" in pinned_requirements.REQUIREMENTS_FILE.read_text()


def test_the_image_command_serves_the_app_with_json_lines_logs(runtime, base_env, session_record):
    # The CMD as the container runs it; WORKDIR /app holds payment_service/ as the repository root does.
    command = exec_form(steps(runtime, "CMD")[0])
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "UVICORN_HOST": "127.0.0.1", "UVICORN_PORT": str(port), **base_env}
    server = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline, status = time.monotonic() + 20, None
        while status != 200 and time.monotonic() < deadline and server.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/health", headers={"X-Request-ID": "image-cmd"}).status_code
            except httpx.TransportError:
                time.sleep(0.1)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
        session_record.add_output(output)
    assert status == 200
    lines = [json.loads(line) for line in output.splitlines()]
    assert any(line["request_id"] == "image-cmd" and line.get("route") == "/health" for line in lines)
    assert any(line["logger"].startswith("uvicorn") for line in lines)


def docker_engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not docker_engine_available(), reason="no Docker engine answers `docker info` on this machine")
def test_the_image_builds_and_runs_as_uid_1000():
    tag = f"meridian-payment-service:test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "build", "-t", tag, str(SERVICE_DIR)], check=True, timeout=900)
    try:

        def run(*argv: str) -> str:
            return subprocess.run(
                ["docker", "run", "--rm", "--entrypoint", argv[0], tag, *argv[1:]],
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout.strip()

        assert run("id", "-u") == "1000"
        assert run("python", "-c", "import payment_service.app; print('ok')") == "ok"
        assert run("sh", "-c", "command -v gcc pip pip3 || true") == ""
        assert run("sh", "-c", "python -c 'import pip' 2>/dev/null && echo pip || true") == ""
        inspected = json.loads(
            subprocess.run(["docker", "image", "inspect", tag], check=True, capture_output=True, text=True).stdout
        )[0]["Config"]
        assert inspected["Healthcheck"]["Test"] == [
            "CMD",
            *exec_form(steps(stages(SERVICE_DIR / "Dockerfile")[-1], "HEALTHCHECK")[0]),
        ]
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True)


# The AWS load balancer's default idle timeout; the ALB of the runtime stack keeps it.
ALB_IDLE_TIMEOUT_SECONDS = 60
UVICORN_DEFAULT_KEEP_ALIVE_SECONDS = 5


def test_uvicorn_keeps_idle_connections_open_longer_than_the_load_balancer(runtime):
    command = exec_form(steps(runtime, "CMD")[0])
    keep_alive = (
        int(command[command.index("--timeout-keep-alive") + 1])
        if "--timeout-keep-alive" in command
        else UVICORN_DEFAULT_KEEP_ALIVE_SECONDS
    )
    assert keep_alive > ALB_IDLE_TIMEOUT_SECONDS


def test_the_base_image_and_the_dockerfile_frontend_are_pinned_by_digest(image):
    syntax = (SERVICE_DIR / "Dockerfile").read_text().splitlines()[0]
    assert re.fullmatch(r"# syntax=docker/dockerfile:[\w.]+@sha256:[0-9a-f]{64}", syntax)
    for stage in image:
        assert re.fullmatch(r"python:[\w.-]+@sha256:[0-9a-f]{64}", stage["base"]), stage["name"]


def test_the_image_ships_the_real_rds_ca_bundle_as_the_default_trust_for_postgres():
    bundle = Path(config.RDS_CA_BUNDLE)
    # GIVEN the bundle the service trusts by default, inside the build context and not ignored
    assert bundle.relative_to(SERVICE_DIR).as_posix() in build_context(SERVICE_DIR)
    # THEN it is byte for byte the bundle AWS publishes (as its generator pinned it) ...
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() == rds_ca_bundle.BUNDLE_SHA256
    certificates = x509.load_pem_x509_certificates(bundle.read_bytes())
    assert len(certificates) == 115
    assert all(
        c.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "Amazon RDS"
        for c in certificates
    )
    # ... and holds a current root for every region the environments deploy to
    now = datetime.now(UTC)
    current_roots = {
        c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        for c in certificates
        if c.issuer == c.subject and c.not_valid_after_utc > now
    }
    for environment in ENVIRONMENTS:
        regions = yaml.safe_load((REPO_ROOT / "config" / "environments" / f"{environment}.yaml").read_text())["regions"]
        for region in (regions["primary"]["name"], regions["secondary"]["name"]):
            assert f"Amazon RDS {region} Root CA RSA2048 G1" in current_roots, (environment, region)
