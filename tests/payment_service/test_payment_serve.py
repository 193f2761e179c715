"""The image's command serves the app on uvicorn's compiled loop and parser (uvloop, httptools), with
one worker process per CPU the container gets unless WEB_CONCURRENCY (set by the ECS task
definition to the task's vCPUs) says otherwise (APP-1, APP-3)."""

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from payment_service import pinned_requirements, serve
from payment_service.dockerfile import runtime_command, runtime_environment
from payment_service.localservers import free_port

pytestmark = pytest.mark.req("APP-1")
REPO_ROOT = Path(serve.__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "cgroup, expected",
    [
        ({}, 4),
        ({"v2": "max 100000"}, 4),
        ({"v2": "200000 100000"}, 2),
        ({"v2": "50000 100000"}, 1),
        ({"v1": ("150000", "100000")}, 1),
        ({"v1": ("-1", "100000")}, 4),
    ],
    ids=["no-cgroup", "v2-unlimited", "v2-two-cpus", "v2-half-a-cpu", "v1-one-and-a-half", "v1-unlimited"],
)
def test_workers_default_to_the_cpus_the_container_may_use(tmp_path, monkeypatch, cgroup, expected):
    # GIVEN four CPUs to run on, and the cgroup quota a container runtime may set
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    v2, v1_quota, v1_period = tmp_path / "cpu.max", tmp_path / "cfs_quota_us", tmp_path / "cfs_period_us"
    monkeypatch.setattr(serve, "CGROUP_V2_CPU_MAX", v2)
    monkeypatch.setattr(serve, "CGROUP_V1_QUOTA", v1_quota)
    monkeypatch.setattr(serve, "CGROUP_V1_PERIOD", v1_period)
    if "v2" in cgroup:
        v2.write_text(cgroup["v2"] + "\n")
    if "v1" in cgroup:
        v1_quota.write_text(cgroup["v1"][0] + "\n")
        v1_period.write_text(cgroup["v1"][1] + "\n")
    # THEN the worker count is the whole CPUs allowed, at least one
    assert serve.available_cpus() == expected


def workers_of(pid: int) -> int:
    """uvicorn's worker processes under its supervisor; a single worker runs in the supervisor itself."""
    children = [
        child
        for child in Path("/proc").iterdir()
        if child.name.isdigit() and _parent(child) == pid and b"multiprocessing.spawn" in _cmdline(child)
    ]
    return len(children) or 1


def _parent(process: Path) -> int | None:
    try:
        return int((process / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.req("APP-3")
@pytest.mark.parametrize("concurrency", [None, "1"], ids=["cpus-available", "web-concurrency"])
def test_the_image_command_runs_uvloop_httptools_and_a_worker_per_cpu(base_env, session_record, concurrency):
    # GIVEN the image's command, naming the compiled loop and parser, which the image installs
    command = runtime_command()
    assert command[:4] == ["python", "-m", "payment_service", "serve"]
    assert command[command.index("--loop") + 1] == "uvloop" and command[command.index("--http") + 1] == "httptools"
    assert {"uvloop", "httptools"} <= set(pinned_requirements.RUNTIME_PACKAGES)
    # WHEN it starts as the container starts it, with or without WEB_CONCURRENCY
    port = free_port()
    env = {
        **runtime_environment(),
        "PATH": os.environ.get("PATH", ""),
        "UVICORN_HOST": "127.0.0.1",
        "UVICORN_PORT": str(port),
        **base_env,
        **({"WEB_CONCURRENCY": concurrency} if concurrency else {}),
    }
    server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, status = time.monotonic() + 30, None
        while status != 200 and time.monotonic() < deadline and server.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/health").status_code
            except httpx.TransportError:
                time.sleep(0.1)
        workers = workers_of(server.pid)
    finally:
        server.terminate()
        session_record.add_output(server.communicate(timeout=30)[0].decode())
    # THEN it serves, with one worker per CPU unless told otherwise
    assert status == 200
    assert workers == (int(concurrency) if concurrency else serve.available_cpus())
