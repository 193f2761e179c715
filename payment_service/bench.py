"""Load benchmark of POST /payments on this machine, beside PostgreSQL's raw insert rate.

    python -m payment_service.bench [--seconds 10] [--concurrency 16]

Starts its own PostgreSQL, Redis and user pools on loopback (localservers), migrates, runs the
service under uvicorn exactly as the image's CMD does, and fires new payments at it from this
process, as one merchant with a bearer token, for a bounded time. Then pgbench (or asyncpg when
pgbench is missing) inserts the same rows straight into the same database. Loopback only;
everything it starts is stopped at the end. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from .localservers import LOOPBACK, PG_BIN, LocalIdentityProvider, LocalPostgres, LocalRedis, free_port
from .migrations import migrate

REPO_ROOT = Path(__file__).resolve().parent.parent
# The same two rows the service writes per payment, in one transaction (one statement here).
INSERT_ONE_PAYMENT = """
WITH payment AS (
    INSERT INTO payments (idempotency_key, request_fingerprint, merchant_reference, customer_reference,
                          amount_minor, currency)
    VALUES (gen_random_uuid()::text, repeat('0', 64), 'bench-merchant', 'bench-customer', 1999, 'EUR')
    RETURNING id)
INSERT INTO payment_events (payment_id, event_type) SELECT id, 'payment.created' FROM payment
"""
# The service's pool size (DB_POOL_MAX default): the raw rate gets as many connections as the service.
DATABASE_CONNECTIONS = 10


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def progress(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def start_service(env: dict[str, str], port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "payment_service.app:create_app",
        "--factory",
        "--log-config",
        "payment_service/log_config.json",
        "--no-access-log",
    ]
    full_env = {"PATH": os.environ.get("PATH", ""), "UVICORN_HOST": LOOPBACK, "UVICORN_PORT": str(port), **env}
    # Request logs go where the container's would, minus the terminal: they are part of the cost.
    return subprocess.Popen(command, cwd=REPO_ROOT, env=full_env, stdout=subprocess.DEVNULL)


async def wait_healthy(url: str, timeout: float = 30) -> None:
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


async def load(url: str, token: str, seconds: float, concurrency: int, max_requests: int) -> dict:
    """Each worker posts new payments back to back until the time or the request budget is spent."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline and len(latencies) < max_requests:
            body = {
                "amount_minor": 1999,
                "currency": "EUR",
                "merchant_reference": "bench-merchant",
                "customer_reference": "bench-customer",
            }
            started = time.perf_counter()
            response = await client.post(
                "/payments",
                json=body,
                headers={"Idempotency-Key": f"bench-{uuid.uuid4()}", "Authorization": f"Bearer {token}"},
            )
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "statuses": dict(statuses),
    }


def pgbench_rate(postgres: LocalPostgres, dsn_parts: dict, seconds: float, workdir: Path) -> dict:
    script = workdir / "insert_payment.sql"
    script.write_text(INSERT_ONE_PAYMENT.strip() + ";\n")
    result = subprocess.run(
        [
            str(PG_BIN / "pgbench"),
            "-n",
            "-f",
            str(script),
            "-c",
            str(DATABASE_CONNECTIONS),
            "-j",
            "2",
            "-T",
            str(int(seconds)),
            "-h",
            LOOPBACK,
            "-p",
            str(postgres.port),
            "-U",
            dsn_parts["user"],
            dsn_parts["database"],
        ],
        env={**os.environ, "PGPASSWORD": dsn_parts["password"]},
        capture_output=True,
        text=True,
        check=True,
    )
    rate = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if rate is None:
        raise RuntimeError(f"pgbench printed no rate:\n{result.stdout}")
    tps = float(rate.group(1))
    return {"tool": "pgbench", "per_second": round(tps, 1), "connections": DATABASE_CONNECTIONS}


async def asyncpg_rate(dsn: str, seconds: float) -> dict:
    """The fallback when pgbench is not installed: the same statement from asyncpg connections."""
    pool = await asyncpg.create_pool(dsn, min_size=DATABASE_CONNECTIONS, max_size=DATABASE_CONNECTIONS)
    deadline, count = time.monotonic() + seconds, 0

    async def worker() -> None:
        nonlocal count
        async with pool.acquire() as connection:
            while time.monotonic() < deadline:
                await connection.execute(INSERT_ONE_PAYMENT)
                count += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(DATABASE_CONNECTIONS)))
    elapsed = time.perf_counter() - began
    await pool.close()
    return {"tool": "asyncpg", "per_second": round(count / elapsed, 1), "connections": DATABASE_CONNECTIONS}


async def prepare_database(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await migrate(connection)
    finally:
        await connection.close()


def run(seconds: float, concurrency: int, max_requests: int) -> dict:
    progress("starting PostgreSQL, Redis and the user pools' key server on loopback")
    postgres, redis_server, identity = LocalPostgres.start(), LocalRedis.start(), LocalIdentityProvider()
    token = identity.merchant_token("bench-merchant")
    service = None
    try:
        credentials = {"user": "bench_app", "password": uuid.uuid4().hex, "database": "bench"}
        dsn = postgres.create_role_and_database(credentials["user"], credentials["password"], credentials["database"])
        asyncio.run(prepare_database(dsn))
        port = free_port()
        progress(f"starting the service (uvicorn, one process) on {LOOPBACK}:{port}")
        service = start_service(
            {
                "DATABASE_URL": dsn,
                "REDIS_URL": redis_server.url,
                "REDIS_AUTH_TOKEN": redis_server.password,
                **identity.env(),
            },
            port,
        )
        url = f"http://{LOOPBACK}:{port}"
        asyncio.run(wait_healthy(url))
        progress("warming up (2 s)")
        asyncio.run(load(url, token, 2, concurrency, max_requests))
        progress(f"load: new payments from {concurrency} concurrent clients for {seconds} s")
        cpu_before = cpu_seconds(service.pid)
        service_result = asyncio.run(load(url, token, seconds, concurrency, max_requests))
        # CPU per request says what the service costs, whatever else shares the cores.
        service_cpu = cpu_seconds(service.pid) - cpu_before
        service_result["service_cpu_ms_per_request"] = round(service_cpu * 1000 / service_result["requests"], 2)
        progress(f"service: {service_result}")
        service.terminate()
        service.wait(timeout=20)
        service = None
        progress(f"raw PostgreSQL: the same inserts for {seconds} s")
        if (PG_BIN / "pgbench").exists():
            database_result = pgbench_rate(postgres, credentials, seconds, postgres.root)
        else:
            database_result = asyncio.run(asyncpg_rate(dsn, seconds))
        progress(f"database: {database_result}")
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=20)
        postgres.stop()
        redis_server.stop()
        identity.stop()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "service": service_result,
        "database": database_result,
        "service_to_database_ratio": round(service_result["per_second"] / database_result["per_second"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="length of each measurement, 1..30 (default 10)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients, 1..256 (default 16)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="stop the load after this many requests")
    args = parser.parse_args()
    if not (1 <= args.seconds <= 30 and 1 <= args.concurrency <= 256 and args.max_requests >= 1):
        parser.error("--seconds must be 1..30, --concurrency 1..256, --max-requests at least 1")
    result = run(args.seconds, args.concurrency, args.max_requests)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
