"""Real PostgreSQL and Redis on loopback for the payment service tests (APP-1).

Servers are started once per session from the Debian binaries, on free ports in temporary
directories, and stopped at the end. Everything a test reads is set here (QA-4): nothing comes
from the caller's environment.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from payment_service.app import create_app
from payment_service.config import Settings
from payment_service.localservers import LocalPostgres, LocalRedis, ThreadedUvicorn
from payment_service.logs import JsonLinesFormatter

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_ROLE, APP_DATABASE = "payments_app", "payments"


def run_cli(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -m payment_service COMMAND` as an operator or the container runs it, with only `env` set."""
    return subprocess.run(
        [sys.executable, "-m", "payment_service", command],
        cwd=REPO_ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def create_migrated_database(postgres: LocalPostgres, role: str, password: str, database: str) -> str:
    dsn = postgres.create_role_and_database(role, password, database)
    result = run_cli("migrate", {"DATABASE_URL": dsn})
    assert result.returncode == 0, result.stderr
    return dsn


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def migrated_database():
    """create_migrated_database(server, role, password, database) -> DSN of a migrated database."""
    return create_migrated_database


@pytest.fixture(scope="session")
def postgres():
    server = LocalPostgres.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    server = LocalRedis.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_password() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="session")
def app_dsn(postgres, app_password) -> str:
    return create_migrated_database(postgres, APP_ROLE, app_password, APP_DATABASE)


@pytest.fixture(scope="session")
def base_env(app_dsn, redis_server) -> dict[str, str]:
    """The environment a local run of the service gets: loopback DSN, Redis with AUTH."""
    return {"DATABASE_URL": app_dsn, "REDIS_URL": redis_server.url, "REDIS_AUTH_TOKEN": redis_server.password}


@dataclass
class RunningService:
    url: str
    port: int
    app: object
    client: httpx.Client


@contextmanager
def running_service(env: dict[str, str], secret_reader=None):
    app = create_app(Settings.from_env(env), secret_reader=secret_reader)
    server = ThreadedUvicorn(app).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield RunningService(server.url, server.port, app, client)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def service(base_env):
    """The service as a local run starts it; shared by every test that leaves its servers alone."""
    with running_service(base_env) as running:
        yield running


@pytest.fixture
def client(service) -> httpx.Client:
    return service.client


@pytest.fixture
def launch(base_env):
    """Starts a further service with `base_env` plus overrides; stopped when the test ends."""
    with ExitStack() as stack:

        def start(secret_reader=None, **overrides) -> RunningService:
            return stack.enter_context(running_service({**base_env, **overrides}, secret_reader))

        yield start


@pytest.fixture
def make_body():
    """A valid POST /payments body with a merchant of its own; keyword arguments override fields."""

    def build(**overrides) -> dict:
        body = {
            "amount_minor": 1999,
            "currency": "EUR",
            "merchant_reference": f"merchant-{uuid.uuid4().hex[:12]}",
            "customer_reference": "customer-42",
        }
        return {**body, **overrides}

    return build


@pytest.fixture
def new_key():
    return lambda: f"key-{uuid.uuid4()}"


@pytest.fixture
def sql(postgres):
    """Runs SQL as the superuser in the service's database and returns psql's text output."""
    return lambda query, database=APP_DATABASE: postgres.psql(query, database=database)


@pytest.fixture
def redis_cache(redis_server):
    with redis.Redis.from_url(redis_server.url, password=redis_server.password, decode_responses=True) as connection:
        yield connection


@pytest.fixture
def captured_logs():
    """JSON lines the service logs during the test, formatted as production formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter())
    logger = logging.getLogger("payment_service")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
