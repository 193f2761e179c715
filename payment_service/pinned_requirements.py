"""Derives payment_service/requirements.txt from the project's Pipfile.lock.

The image installs these pins with pip (no pipenv inside it): the service's packages from the
Pipfile and everything they pull in, at the lock's versions and with the lock's hashes. Rewrite
the file after a change to the lock with:

    python -m payment_service.pinned_requirements

A test fails while the file and the lock disagree. Not shipped in the image.
"""

from __future__ import annotations

import json
from pathlib import Path

from packaging.markers import default_environment

from tools.lock_pins import dependency_closure, pinned_lines

HERE = Path(__file__).resolve().parent
LOCK_FILE = HERE.parent / "Pipfile.lock"
REQUIREMENTS_FILE = HERE / "requirements.txt"
RUNTIME_PACKAGES = ("fastapi", "uvicorn", "uvloop", "httptools", "asyncpg", "redis", "boto3", "pyjwt", "cryptography")


def runtime_closure(roots: tuple[str, ...] = RUNTIME_PACKAGES) -> set[str]:
    """The roots and their dependencies for this interpreter (the image runs the same Python)."""
    return dependency_closure(roots, default_environment())


def render(lock: dict) -> str:
    lines = [
        "# Generated from ../Pipfile.lock by `python -m payment_service.pinned_requirements`; do not edit.",
        "# Installed in the image with pip --require-hashes.",
        *pinned_lines(runtime_closure(), lock["default"]),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    REQUIREMENTS_FILE.write_text(render(json.loads(LOCK_FILE.read_text())))
    print(f"wrote {REQUIREMENTS_FILE}")


if __name__ == "__main__":
    main()
