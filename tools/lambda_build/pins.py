"""Each function's requirements.txt, generated from its requirements.in and Pipfile.lock.

requirements.in names what the function imports; requirements.txt pins that and everything it
needs on the Lambda runtime, at the lock's versions and with the lock's hashes, so the zip carries
exactly what the tests ran with. A test fails while a requirements.txt is stale.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError
from pathlib import Path

from tools.lock_pins import dependency_closure, pinned_lines

from .target import LOCK_FILE, MARKERS, RUNTIME, RUNTIME_PROVIDED

HEADER = (
    "# Generated from requirements.in and Pipfile.lock by `python -m tools.lambda_build --pin`; do not edit.\n"
    f"# Installed into the function's zip by tools/lambda_build with pip --require-hashes for {RUNTIME};\n"
    f"# {' and '.join(RUNTIME_PROVIDED)} come with the runtime.\n"
)


def roots(requirements_in: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in requirements_in.read_text().splitlines())
    return [line for line in lines if line]


class PinError(ValueError):
    """A requirement the lock (and so the tests' virtualenv) does not have."""


def render(requirements_in: Path, lock: dict) -> str:
    locked = {**lock["develop"], **lock["default"]}
    try:
        closure = dependency_closure(roots(requirements_in), MARKERS, provided=RUNTIME_PROVIDED)
        lines = pinned_lines(closure, locked)
    except (PackageNotFoundError, KeyError) as missing:
        raise PinError(
            f"{requirements_in}: {str(missing).strip(chr(39))} is not in Pipfile.lock; pin it in the Pipfile's "
            "dev-packages and lock first, so that the tests run what the function ships"
        ) from None
    return HEADER + "\n".join(lines) + "\n"


def write_pins(function_dirs: list[Path]) -> list[Path]:
    """Rewrites every requirements.txt, or none when one cannot be rendered."""
    lock = json.loads(LOCK_FILE.read_text())
    rendered = {
        directory / "requirements.txt": render(directory / "requirements.in", lock) for directory in function_dirs
    }
    for target, text in rendered.items():
        target.write_text(text)
    return list(rendered)
