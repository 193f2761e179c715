"""Derives payment_service/requirements.txt from the project's Pipfile.lock.

The image installs these pins with pip (no pipenv inside it): the service's packages from the
Pipfile and everything they pull in, at the lock's versions and with the lock's hashes. Rewrite
the file after a change to the lock with:

    python -m payment_service.pinned_requirements

A test fails while the file and the lock disagree. Not shipped in the image.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import requires
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

HERE = Path(__file__).resolve().parent
LOCK_FILE = HERE.parent / "Pipfile.lock"
REQUIREMENTS_FILE = HERE / "requirements.txt"
RUNTIME_PACKAGES = ("fastapi", "uvicorn", "asyncpg", "redis", "boto3", "pyjwt", "cryptography")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(roots: tuple[str, ...] = RUNTIME_PACKAGES) -> set[str]:
    """The roots and their dependencies for this interpreter (the image runs the same Python)."""
    environment = {**default_environment(), "extra": ""}
    closure, pending = set(), list(roots)
    while pending:
        name = _normalized(pending.pop())
        if name in closure:
            continue
        closure.add(name)
        for line in requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                pending.append(requirement.name)
    return closure


def render(lock: dict) -> str:
    locked = {_normalized(name): entry for name, entry in lock["default"].items()}
    lines = [
        "# Generated from ../Pipfile.lock by `python -m payment_service.pinned_requirements`; do not edit.",
        "# Installed in the image with pip --require-hashes.",
    ]
    for name in sorted(runtime_closure()):
        entry = locked[name]
        hashes = " \\\n".join(f"    --hash={digest}" for digest in sorted(entry["hashes"]))
        lines.append(f"{name}{entry['version']} \\\n{hashes}")
    return "\n".join(lines) + "\n"


def main() -> None:
    REQUIREMENTS_FILE.write_text(render(json.loads(LOCK_FILE.read_text())))
    print(f"wrote {REQUIREMENTS_FILE}")


if __name__ == "__main__":
    main()
