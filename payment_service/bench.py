"""Load benchmark of the payment service on this machine, beside PostgreSQL's raw insert rate.

    python -m payment_service.bench [--seconds 10] [--concurrency 16]

Its own set-up, not the test suite's: the load generator is vegeta (compiled Go, VEGETA_MODULE at
VEGETA_VERSION), built once with `go install` from the Go module proxy into the Meridian cache.

Then, in one run: its own PostgreSQL, Redis and user pools on loopback; the schema; the service
started exactly as the image starts it (the Dockerfile's CMD and ENV, from the repository root as
from the image's WORKDIR, with its worker count defaulting to the CPUs available), only bound to
loopback. vegeta holds `--concurrency` requests in flight for `--seconds` in each of three phases,
every request prepared before the phase starts: new payments (POST, a fresh Idempotency-Key each),
replays of them (same key and body: 200) and reads (GET /payments/{id}), all as one merchant with
a bearer token. The service's CPU time, all its processes, is read from /proc around each phase.
Then the service stops and pgbench inserts the same two rows per payment into the same database
with as many connections as there were clients. Loopback only; everything it starts is stopped at
the end. Not a test. Prints progress, then one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from .dockerfile import runtime_command, runtime_environment
from .localservers import LOOPBACK, PG_BIN, REDIS_SERVER, LocalIdentityProvider, LocalPostgres, LocalRedis, free_port
from .migrations import migrate

REPO_ROOT = Path(__file__).resolve().parent.parent
VEGETA_MODULE, VEGETA_VERSION = "github.com/tsenart/vegeta/v12", "v12.13.0"
CACHE = Path(os.environ.get("MERIDIAN_CACHE") or Path.home() / ".cache" / "meridian")
MERCHANT = "bench-merchant"
# The same two rows the service writes per payment, in one statement (one transaction).
INSERT_ONE_PAYMENT = """
WITH payment AS (
    INSERT INTO payments (idempotency_key, request_fingerprint, merchant_reference, customer_reference,
                          amount_minor, currency)
    VALUES (gen_random_uuid()::text, repeat('0', 64), 'bench-merchant', 'bench-customer', 1999, 'EUR')
    RETURNING id)
INSERT INTO payment_events (payment_id, event_type) SELECT id, 'payment.created' FROM payment
"""
# Requests prepared per phase: vegeta starts over at the first target when it runs out, which
# for new payments would turn creations into replays; the report counts 201s to notice.
MAX_TARGETS = 80_000


def progress(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def vegeta() -> Path:
    """The pinned vegeta binary, built on first use (`go install`, about a minute)."""
    binary = CACHE / f"vegeta-{VEGETA_VERSION}" / "vegeta"
    if not binary.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        if not Path(go).exists():
            raise SystemExit("bench: the load generator is built with Go (`go install`), and no `go` was found")
        progress(f"building the load generator: go install {VEGETA_MODULE}@{VEGETA_VERSION} (once, about a minute)")
        binary.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [go, "install", f"{VEGETA_MODULE}@{VEGETA_VERSION}"],
            env={**os.environ, "GOBIN": str(binary.parent), "GOFLAGS": "-buildvcs=false"},
            check=True,
        )
    return binary


def process_tree(root: int) -> list[int]:
    """The process and all its descendants (uvicorn's supervisor and its workers)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(parents.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """User + system CPU time so far of a process and its descendants, those already ended and
    reaped included (they are in their parent's cutime/cstime), from Linux /proc."""
    total = 0.0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_use(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process tree, and of this process's ended children (the
    load generator, pgbench): the whole machine's work for the benchmark, by part."""
    use = {name: cpu_seconds(pid) for name, pid in roots.items()}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    use["client"] = children.ru_utime + children.ru_stime
    return use


def cpu_ms_per(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    per = {name: round((after[name] - before[name]) * 1000 / max(count, 1), 3) for name in after}
    return {**per, "total": round(sum(per.values()), 3)}


def start_service(env: dict[str, str], port: int) -> subprocess.Popen:
    """The image's CMD with the image's ENV, from the repository root (the image's WORKDIR holds
    payment_service/ the same way); bound to loopback instead of 0.0.0.0."""
    full_env = {
        **runtime_environment(),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "UVICORN_HOST": LOOPBACK,
        "UVICORN_PORT": str(port),
        **env,
    }
    # Request logs go where the container's would, minus the terminal: they are part of the cost.
    return subprocess.Popen(runtime_command(), cwd=REPO_ROOT, env=full_env, stdout=subprocess.DEVNULL)


async def wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("the service did not become healthy")


def new_payment(url: str, token: str, key: str) -> dict:
    body = {
        "amount_minor": 1999,
        "currency": "EUR",
        "merchant_reference": MERCHANT,
        "customer_reference": "bench-customer",
    }
    return {
        "method": "POST",
        "url": f"{url}/payments",
        "body": base64.b64encode(json.dumps(body).encode()).decode(),
        "header": {
            "Authorization": [f"Bearer {token}"],
            "Content-Type": ["application/json"],
            "Idempotency-Key": [key],
        },
    }


def write_targets(path: Path, targets: Iterator[dict]) -> Path:
    with path.open("w") as out:
        for target in targets:
            out.write(json.dumps(target) + "\n")
    return path


def attack(binary: Path, targets: Path, seconds: float, concurrency: int, processes: dict[str, int]) -> dict:
    """vegeta at a fixed concurrency (as many requests as the service answers); latency, status codes
    and the CPU time per request of the service and of everything else the machine ran for it."""
    results = targets.with_suffix(".results")
    cpu_before, began = cpu_use(processes), time.perf_counter()
    subprocess.run(
        [
            str(binary),
            "attack",
            "-format=json",
            f"-targets={targets}",
            "-rate=0",
            f"-workers={concurrency}",
            f"-max-workers={concurrency}",
            f"-duration={seconds}s",
            "-http2=false",
            "-max-body=0",
            f"-output={results}",
        ],
        check=True,
    )
    elapsed, cpu_after = time.perf_counter() - began, cpu_use(processes)
    cpu = cpu_after["service"] - cpu_before["service"]
    report = json.loads(
        subprocess.run(
            [str(binary), "report", "-type=json", str(results)], check=True, capture_output=True, text=True
        ).stdout
    )
    requests, measured = report["requests"], (report["duration"] + report["wait"]) / 1e9
    return {
        "requests": requests,
        "seconds": round(measured, 2),
        "per_second": round(requests / measured, 1),
        "p50_ms": round(report["latencies"]["50th"] / 1e6, 1),
        "p99_ms": round(report["latencies"]["99th"] / 1e6, 1),
        "statuses": report["status_codes"],
        "service_cpu_ms_per_request": round(cpu * 1000 / max(requests, 1), 3),
        "service_cpu_share": round(cpu / elapsed, 2),  # cores the service kept busy
        # service, PostgreSQL, Redis and vegeta ("client"): what two shared cores had to give per request
        "machine_cpu_ms_per_request": cpu_ms_per(cpu_before, cpu_after, requests),
    }


def pgbench_rate(postgres: LocalPostgres, credentials: dict, seconds: float, connections: int, workdir: Path) -> dict:
    script = workdir / "insert_payment.sql"
    script.write_text(INSERT_ONE_PAYMENT.strip() + ";\n")
    processes = {"postgres": postgres.pid}
    cpu_before = cpu_use(processes)
    result = subprocess.run(
        [
            str(PG_BIN / "pgbench"),
            "-n",
            "-f",
            str(script),
            "-c",
            str(connections),
            "-j",
            "2",
            "-T",
            str(int(seconds)),
            "-h",
            LOOPBACK,
            "-p",
            str(postgres.port),
            "-U",
            credentials["user"],
            credentials["database"],
        ],
        env={**os.environ, "PGPASSWORD": credentials["password"]},
        capture_output=True,
        text=True,
        check=True,
    )
    rate = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if rate is None:
        raise RuntimeError(f"pgbench printed no rate:\n{result.stdout}")
    transactions = re.search(r"number of transactions actually processed: (\d+)", result.stdout)
    count = int(transactions.group(1)) if transactions else 0
    return {
        "tool": "pgbench",
        "per_second": round(float(rate.group(1)), 1),
        "connections": connections,
        "machine_cpu_ms_per_insert": cpu_ms_per(cpu_before, cpu_use(processes), count),  # client: pgbench
    }


async def prepare_database(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await migrate(connection)
    finally:
        await connection.close()


async def created_ids(dsn: str, limit: int) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT id FROM payments ORDER BY created_at LIMIT $1", limit)
    finally:
        await connection.close()
    return [str(row["id"]) for row in rows]


def machine() -> str:
    memory = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    gib = f"{int(memory.group(1)) // 1024 // 1024} GiB, " if memory else ""
    servers = [
        subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.strip()
        for binary in (PG_BIN / "postgres", REDIS_SERVER)
    ]
    return f"{platform.machine()}, {os.cpu_count()} cores, {gib}Python {platform.python_version()}; " + "; ".join(
        servers
    )


def run(seconds: float, concurrency: int) -> dict:
    binary = vegeta()
    load_at_start = os.getloadavg()
    progress(f"load average now {load_at_start[0]:.2f}; starting PostgreSQL, Redis and the user pools on loopback")
    postgres, redis_server, identity = LocalPostgres.start(), LocalRedis.start(), LocalIdentityProvider()
    token = identity.merchant_token(MERCHANT)
    workdir = Path(tempfile.mkdtemp(prefix="meridian-bench-"))
    service = None
    try:
        credentials = {"user": "bench_app", "password": uuid.uuid4().hex, "database": "bench"}
        dsn = postgres.create_role_and_database(credentials["user"], credentials["password"], credentials["database"])
        asyncio.run(prepare_database(dsn))
        port = free_port()
        url = f"http://{LOOPBACK}:{port}"
        progress(f"starting the service as the image does: {' '.join(runtime_command())}")
        service = start_service(
            {
                "DATABASE_URL": dsn,
                "REDIS_URL": redis_server.url,
                "REDIS_AUTH_TOKEN": redis_server.password,
                **identity.env(),
            },
            port,
        )
        asyncio.run(wait_healthy(url))
        processes = {"service": service.pid, "postgres": postgres.pid, "redis": redis_server.pid}
        workers = (
            sum(
                "multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_text() for pid in process_tree(service.pid)
            )
            or 1
        )
        progress(f"preparing {MAX_TARGETS} new payments, then warming up (2 s)")
        keys = [f"bench-{uuid.uuid4()}" for _ in range(MAX_TARGETS)]
        warm = write_targets(
            workdir / "warm.json", (new_payment(url, token, f"warm-{uuid.uuid4()}") for _ in range(20_000))
        )
        creations = write_targets(workdir / "create.json", (new_payment(url, token, key) for key in keys))
        attack(binary, warm, 2, concurrency, processes)
        progress(f"new payments: {concurrency} requests in flight for {seconds} s")
        create = attack(binary, creations, seconds, concurrency, processes)
        created = create["statuses"].get("201", 0)
        create["created"] = created
        create["created_per_second"] = round(created / create["seconds"], 1)
        create["service_cpu_ms_per_created_payment"] = round(
            create["service_cpu_ms_per_request"] * create["requests"] / max(created, 1), 3
        )
        progress(f"created: {create}")
        replays = write_targets(workdir / "replay.json", (new_payment(url, token, key) for key in keys[:created]))
        progress(f"replays of those payments for {seconds} s")
        replay = attack(binary, replays, seconds, concurrency, processes)
        progress(f"replayed: {replay}")
        ids = asyncio.run(created_ids(dsn, MAX_TARGETS))
        reads = write_targets(
            workdir / "read.json",
            (
                {
                    "method": "GET",
                    "url": f"{url}/payments/{payment_id}",
                    "header": {"Authorization": [f"Bearer {token}"]},
                }
                for payment_id in ids
            ),
        )
        progress(f"reads (GET /payments/{{id}}) for {seconds} s")
        read = attack(binary, reads, seconds, concurrency, processes)
        progress(f"read: {read}")
        service.terminate()
        service.wait(timeout=30)
        service = None
        progress(f"raw PostgreSQL: pgbench, the same inserts from {concurrency} connections for {seconds} s")
        database = pgbench_rate(postgres, credentials, seconds, concurrency, workdir)
        progress(f"database: {database}")
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        postgres.stop()
        redis_server.stop()
        identity.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_average": {"start": round(load_at_start[0], 2), "end": round(os.getloadavg()[0], 2)},
        "service": {"command": runtime_command(), "workers": workers, "clients": concurrency, "seconds": seconds},
        "create": create,
        "replay": replay,
        "read": read,
        "database": database,
        "created_to_database_ratio": round(create["created_per_second"] / database["per_second"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase, 1..30 (default 10)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight, 1..256 (default 16)")
    args = parser.parse_args()
    if not (1 <= args.seconds <= 30 and 1 <= args.concurrency <= 256):
        parser.error("--seconds must be 1..30 and --concurrency 1..256")
    print(json.dumps(run(args.seconds, args.concurrency), indent=2))


if __name__ == "__main__":
    main()
