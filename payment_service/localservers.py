"""Throwaway PostgreSQL and Redis servers on loopback, for the tests and the benchmark.

Each server lives in its own temporary directory on a free port and is gone after `stop()`.
Never imported by the service itself: the image does not ship this module.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class LocalPostgres:
    """A PostgreSQL 15 cluster with password (SCRAM) authentication on loopback TCP."""

    root: Path
    port: int
    superuser_password: str

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @classmethod
    def start(cls) -> LocalPostgres:
        root = Path(tempfile.mkdtemp(prefix="meridian-pg-"))
        if os.geteuid() == 0:
            shutil.chown(root, user="postgres", group="postgres")
        server = cls(root=root, port=free_port(), superuser_password=os.urandom(12).hex())
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

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL as the superuser and returns psql's unaligned, tuples-only output."""
        result = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                LOOPBACK,
                "-p",
                str(self.port),
                "-U",
                PG_SUPERUSER,
                "-d",
                database,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PGPASSWORD": self.superuser_password, "PGCONNECT_TIMEOUT": "5"},
        )
        return result.stdout.strip()

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
