"""Real PostgreSQL, Redis and two user pools' signing keys on loopback for the payment service tests (APP-1).

Servers are started once per session from the Debian binaries (PostgreSQL with TLS from a
throwaway CA), on free ports in temporary directories, and stopped at the end; the identity
provider serves each pool's JWKS over loopback HTTP and signs the tests' tokens. Everything a test
reads is set here (QA-4): nothing comes from the caller's environment.

Every log line of the session (the service's, and the output of the commands the tests run) is
kept, and the last payment test scans them for every secret, token and card number the tests used.
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

import boto3
import httpx
import pytest
import redis
from moto.server import ThreadedMotoServer

from payment_service.app import create_app
from payment_service.config import Settings
from payment_service.localservers import LocalIdentityProvider, LocalPostgres, LocalRedis, ThreadedUvicorn
from payment_service.logs import JsonLinesFormatter

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_ROLE, APP_DATABASE = "payments_app", "payments"
LOG_SCAN_TEST = "test_no_log_line_of_the_whole_run_holds_a_secret_or_card_number"


class SessionRecord:
    """Every log line of the session and every value that must never appear in one."""

    def __init__(self):
        self.lines: list[str] = []
        self.sensitive: set[str] = set()

    def add_output(self, text: str) -> None:
        self.lines.extend(text.splitlines())


RECORD = SessionRecord()


class _Keep(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        RECORD.lines.append(self.format(record))


def pytest_collection_modifyitems(items):
    """The log scan runs after every other test, so it sees the whole run's lines."""
    items.sort(key=lambda item: item.name == LOG_SCAN_TEST)


@pytest.fixture(scope="session", autouse=True)
def session_record():
    handler = _Keep()
    handler.setFormatter(JsonLinesFormatter())
    logging.getLogger().addHandler(handler)
    yield RECORD
    logging.getLogger().removeHandler(handler)


def run_cli(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -m payment_service COMMAND` as an operator or the container runs it, with only `env` set."""
    result = subprocess.run(
        [sys.executable, "-m", "payment_service", command],
        cwd=REPO_ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    RECORD.add_output(result.stdout + result.stderr)
    return result


def create_migrated_database(postgres: LocalPostgres, role: str, password: str, database: str) -> str:
    RECORD.sensitive.add(password)
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
    server = LocalPostgres.start(tls=True)
    RECORD.sensitive.add(server.superuser_password)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def identity():
    """Two user pools on loopback; every token it signs is in `identity.issued`."""
    provider = LocalIdentityProvider()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def secrets_manager():
    """A Secrets Manager emulator (moto) on loopback; its client, whose endpoint a subprocess can use."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per emulator request is noise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "secretsmanager",
        region_name="eu-west-1",
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id="test-only",
        aws_secret_access_key="test-only",
    )
    yield client
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    server = LocalRedis.start()
    RECORD.sensitive.add(server.password)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_password() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="session")
def app_dsn(postgres, app_password) -> str:
    return create_migrated_database(postgres, APP_ROLE, app_password, APP_DATABASE)


@pytest.fixture(scope="session")
def base_env(app_dsn, redis_server, identity) -> dict[str, str]:
    """The environment a local run of the service gets: loopback DSN, Redis with AUTH, the two pools."""
    return {
        "DATABASE_URL": app_dsn,
        "REDIS_URL": redis_server.url,
        "REDIS_AUTH_TOKEN": redis_server.password,
        **identity.env(),
    }


@dataclass
class RunningService:
    url: str
    port: int
    app: object
    client: httpx.Client  # sends the test's merchant token unless a request names another


@contextmanager
def running_service(env: dict[str, str], secret_reader=None, headers: dict[str, str] | None = None):
    app = create_app(Settings.from_env(env), secret_reader=secret_reader)
    server = ThreadedUvicorn(app).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as client:
            yield RunningService(server.url, server.port, app, client)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def service(base_env):
    """The service as a local run starts it; shared by every test that leaves its servers alone."""
    with running_service(base_env) as running:
        yield running


@pytest.fixture
def merchant() -> str:
    """The merchant a test acts as: its own, so tests never see each other's payments."""
    return f"merchant-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def bearer():
    """bearer(token) -> the Authorization header for it."""
    return lambda token: {"Authorization": f"Bearer {token}"}


@pytest.fixture
def as_merchant(identity, bearer):
    """as_merchant(merchant) -> headers carrying a valid token of that merchant."""
    return lambda merchant_reference: bearer(identity.merchant_token(merchant_reference))


@pytest.fixture
def as_customer(identity, bearer):
    return lambda customer_reference: bearer(identity.customer_token(customer_reference))


@pytest.fixture
def client(service, merchant, as_merchant):
    """The shared service, called with the test's merchant token."""
    with httpx.Client(base_url=service.url, timeout=30, headers=as_merchant(merchant)) as merchant_client:
        yield merchant_client


@pytest.fixture
def launch(base_env, merchant, as_merchant):
    """Starts a further service with `base_env` plus overrides; stopped when the test ends. Its
    client sends the test's merchant token."""
    with ExitStack() as stack:

        def start(secret_reader=None, **overrides) -> RunningService:
            return stack.enter_context(running_service({**base_env, **overrides}, secret_reader, as_merchant(merchant)))

        yield start


@pytest.fixture
def make_body(merchant):
    """A valid POST /payments body of the test's merchant; keyword arguments override fields."""

    def build(**overrides) -> dict:
        body = {
            "amount_minor": 1999,
            "currency": "EUR",
            "merchant_reference": merchant,
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
