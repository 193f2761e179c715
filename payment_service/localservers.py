"""Throwaway PostgreSQL, Redis and identity-provider servers on loopback, for the tests and the benchmark.

Each server lives in its own temporary directory (or memory) on a free port and is gone after
`stop()`. Never imported by the service itself: the image does not ship this module.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import IO, cast

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

PG_BIN = Path(os.environ.get("PG_BIN_DIR", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = Path(os.environ.get("REDIS_SERVER_BIN", "/usr/bin/redis-server"))
LOOPBACK = "127.0.0.1"
PG_SUPERUSER = "postgres"


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {LOOPBACK}:{port} after {timeout} s")


def _as_postgres_user(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI runs as root, a developer usually does not.
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class TestCertificates:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost (PEM files)."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path) -> TestCertificates:
        now = datetime.now(UTC)
        ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Meridian test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        server = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOOPBACK)]))
            .issuer_name(ca_name)
            .public_key(server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(IPv4Address(LOOPBACK)), x509.DNSName("localhost")]),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        certificates = cls(directory / "test-ca.pem", directory / "server.crt", directory / "server.key")
        certificates.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        certificates.cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
        certificates.key_file.write_bytes(
            server_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        certificates.key_file.chmod(0o600)  # PostgreSQL refuses a key others can read
        return certificates


@dataclass
class LocalPostgres:
    """A PostgreSQL 15 cluster with password (SCRAM) authentication on loopback TCP; with
    `tls=True` it also accepts TLS, with a certificate from a throwaway CA (`certificates.ca_file`)."""

    root: Path
    port: int
    superuser_password: str
    certificates: TestCertificates | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @classmethod
    def start(cls, tls: bool = False) -> LocalPostgres:
        root = Path(tempfile.mkdtemp(prefix="meridian-pg-"))
        certificates = TestCertificates.create(root) if tls else None
        if os.geteuid() == 0:
            for path in (root, *(vars(certificates).values() if certificates else ())):
                shutil.chown(path, user="postgres", group="postgres")
        server = cls(root=root, port=free_port(), superuser_password=os.urandom(12).hex(), certificates=certificates)
        pwfile = root / "superuser-password"
        pwfile.write_text(server.superuser_password)
        if os.geteuid() == 0:
            shutil.chown(pwfile, user="postgres", group="postgres")
        server._run_as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(server.data_dir),
                "-U",
                PG_SUPERUSER,
                "--no-sync",
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
            ]
        )
        pwfile.unlink()
        server.resume()
        return server

    def _run_as_postgres(self, argv: list[str]) -> None:
        subprocess.run(_as_postgres_user(argv), check=True, capture_output=True, text=True)

    def resume(self) -> None:
        """Starts the (stopped) server again on the same port and data directory."""
        options = f"-c listen_addresses={LOOPBACK} -p {self.port} -k {self.root} -c max_connections=200"
        if self.certificates is not None:
            options += (
                f" -c ssl=on -c ssl_cert_file={self.certificates.cert_file}"
                f" -c ssl_key_file={self.certificates.key_file}"
            )
        self._run_as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.root / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "start",
            ]
        )

    @property
    def pid(self) -> int:
        """The postmaster's process ID (its backends are its children)."""
        return int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def halt(self, mode: str = "fast") -> None:
        """Stops the server but keeps its data (mode: smart, fast or immediate)."""
        self._run_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"])

    def stop(self) -> None:
        """Stops the server and removes its directory (immediately: no shutdown checkpoint for data
        about to be deleted)."""
        if (self.data_dir / "postmaster.pid").exists():
            self.halt("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self, user: str = PG_SUPERUSER, password: str | None = None, database: str = "postgres") -> str:
        secret = self.superuser_password if password is None else password
        return f"postgresql://{user}:{secret}@{LOOPBACK}:{self.port}/{database}"

    def _psql_command(self, database: str, *extra: str) -> list[str]:
        """psql as the superuser over loopback, stopping at the first error."""
        connection = ["-h", LOOPBACK, "-p", str(self.port), "-U", PG_SUPERUSER, "-d", database]
        return [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", *connection, *extra]

    def _psql_env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.superuser_password, "PGCONNECT_TIMEOUT": "5"}

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL as the superuser and returns psql's unaligned, tuples-only output."""
        result = subprocess.run(
            self._psql_command(database, "-At", "-c", sql),
            check=True,
            capture_output=True,
            text=True,
            env=self._psql_env(),
        )
        return result.stdout.strip()

    @contextmanager
    def transaction_held_open(self, statements: str, database: str = "postgres") -> Iterator[None]:
        """Runs BEGIN and `statements` as the superuser in a session of its own and keeps that
        transaction (and every lock it took) open until the block ends, then commits."""
        session = subprocess.Popen(
            self._psql_command(database),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=self._psql_env(),
        )
        commands = cast(IO[str], session.stdin)  # a pipe: stdin=PIPE above
        try:
            commands.write(f"BEGIN;\n{statements}\n")
            commands.flush()
            yield
            commands.write("COMMIT;\n")
        finally:
            commands.close()
            session.wait(timeout=30)

    def create_role_and_database(self, role: str, password: str, database: str) -> str:
        """A login role without superuser rights owning a fresh database; returns its DSN."""
        self.psql(f"CREATE ROLE {role} LOGIN PASSWORD {_sql_literal(password)}")
        self.psql(f"CREATE DATABASE {database} OWNER {role}")
        return self.dsn(user=role, password=password, database=database)

    def set_password(self, role: str, password: str) -> None:
        self.psql(f"ALTER ROLE {role} PASSWORD {_sql_literal(password)}")

    def terminate_sessions(self, role: str) -> None:
        """Ends every open session of the role, as a failover or idle timeout would."""
        self.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = {_sql_literal(role)}")


@dataclass
class LocalRedis:
    """A Redis server with an AUTH password, no persistence, on loopback."""

    root: Path
    port: int
    password: str
    process: subprocess.Popen | None = field(default=None, repr=False)

    @classmethod
    def start(cls) -> LocalRedis:
        server = cls(
            root=Path(tempfile.mkdtemp(prefix="meridian-redis-")), port=free_port(), password=os.urandom(12).hex()
        )
        server.resume()
        return server

    def resume(self) -> None:
        # The password goes through a config file, not argv, so `ps` does not show it.
        config = self.root / "redis.conf"
        config.write_text(
            f'bind {LOOPBACK}\nport {self.port}\nrequirepass {self.password}\nsave ""\n'
            f"appendonly no\ndir {self.root}\nlogfile {self.root / 'redis.log'}\n"
        )
        self.process = subprocess.Popen([str(REDIS_SERVER), str(config)], stdout=subprocess.DEVNULL)
        _wait_for_port(self.port, timeout=10)

    def halt(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the Redis server is not running")
        return self.process.pid


class ThreadedUvicorn:
    """Serves an ASGI app with a real uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app):
        import uvicorn  # deferred: only callers that serve an app need it

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, 0))
        self.port = self._socket.getsockname()[1]
        # log_config=None keeps the caller's logging; our middleware writes the access lines.
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> ThreadedUvicorn:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


class LocalIdentityProvider:
    """Two user pools (merchants, customers) on loopback: each publishes a JWKS of its RSA signing
    key, and `token()` signs ID tokens as Cognito would (iss, aud, sub, token_use, exp, iat).

    `env()` is the service configuration that trusts both pools; `jwks_requests` counts fetches;
    `issued` holds every token signed (a test proves none of them reaches a log line).
    """

    POOLS = {"merchants": "custom:merchant_id", "customers": "sub"}

    def __init__(self):
        self._signing = {pool: SigningKey.generate() for pool in self.POOLS}
        self.jwks_requests: Counter = Counter()
        self.issued: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                pool = self.path.strip("/").split("/")[0]
                if pool not in provider.POOLS or not self.path.endswith("/.well-known/jwks.json"):
                    self.send_error(404)
                    return
                provider.jwks_requests[pool] += 1
                body = json.dumps({"keys": [provider._signing[pool].jwk()]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # the tests' logs stay the service's
                return

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def issuer(self, pool: str) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}/{pool}"

    @staticmethod
    def audience(pool: str) -> str:
        return f"meridian-{pool}-app-client"

    def env(self) -> dict[str, str]:
        return {
            f"AUTH_{pool[:-1].upper()}_{part}": value
            for pool in self.POOLS
            for part, value in (("ISSUER", self.issuer(pool)), ("AUDIENCE", self.audience(pool)))
        }

    def token(self, pool: str, subject: str, *, signing_key: SigningKey | None = None, **claims) -> str:
        """An ID token of `pool` naming `subject`; keyword arguments override or add claims
        (a claim set to None is left out)."""
        now = int(time.time())
        body = {
            "iss": self.issuer(pool),
            "aud": self.audience(pool),
            "sub": str(uuid.uuid4()),
            "token_use": "id",
            "iat": now,
            "exp": now + 3600,
            self.POOLS[pool]: subject,
            **claims,
        }
        body = {name: value for name, value in body.items() if value is not None}
        token = (signing_key or self._signing[pool]).sign(body)
        self.issued.append(token)
        return token

    def merchant_token(self, merchant: str, **claims) -> str:
        return self.token("merchants", merchant, **claims)

    def customer_token(self, customer: str, **claims) -> str:
        return self.token("customers", customer, **claims)

    def rotate(self, pool: str) -> None:
        """A new signing key for the pool, published in place of the old one."""
        self._signing[pool] = SigningKey.generate()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(uuid.uuid4().hex, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict:
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**public, "kid": self.key_id, "use": "sig", "alg": "RS256"}

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.key_id})
