"""Commands for operators and the container:

    python -m payment_service migrate      apply schema migrations (run before a deploy, never at start-up)
    python -m payment_service healthcheck  exit 0 when /health on this host answers 200 (Docker HEALTHCHECK)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import urllib.error
import urllib.request

from . import logs
from .config import ConfigError, Settings
from .credentials import DatabaseCredentials, default_secret_reader
from .database import Database, DatabaseUnavailable
from .migrations import migrate

log = logging.getLogger("payment_service.cli")


async def _migrate(settings: Settings) -> list[int]:
    database = Database(settings.database, DatabaseCredentials(settings.database, default_secret_reader(settings)))
    try:
        return await database.run(migrate)
    finally:
        await database.close()


def migrate_command() -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    try:
        applied = asyncio.run(_migrate(settings))
    except DatabaseUnavailable as error:
        log.error("migration failed: database unavailable", extra={"error_type": str(error)})
        return 1
    log.info("migrations done", extra={"applied_versions": ",".join(map(str, applied)) or "none"})
    return 0


def healthcheck_command() -> int:
    # uvicorn reads UVICORN_PORT itself, so the image sets the port once for both.
    port = os.environ.get("UVICORN_PORT", "8080")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m payment_service", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("migrate", "healthcheck"))
    command = parser.parse_args(argv).command
    return migrate_command() if command == "migrate" else healthcheck_command()


if __name__ == "__main__":
    sys.exit(main())
