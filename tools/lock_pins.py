"""Pins with hashes, taken from Pipfile.lock, for what pip installs outside the project's virtualenv.

The payment service image (payment_service/pinned_requirements.py) and each Lambda function
(tools/lambda_build) install exactly what the tests ran with: the lock's versions, checked against
the lock's hashes. The closure is read from the installed distributions' metadata, which holds
the same versions the lock does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib.metadata import requires
from typing import Any

from packaging.requirements import Requirement


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(roots: Iterable[str], environment: Mapping[str, Any], provided: Iterable[str] = ()) -> set[str]:
    """The roots (requirement strings, extras allowed) and everything they need where `environment`'s
    markers hold; never descends into `provided`, the packages the target has already."""
    skipped = {normalized(name) for name in provided}
    closure: set[str] = set()
    seen: set[tuple[str, str]] = set()
    pending = [Requirement(root) for root in roots]
    while pending:
        requirement = pending.pop()
        name = normalized(requirement.name)
        if name in skipped:
            continue
        closure.add(name)
        for extra in ("", *sorted(requirement.extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for line in requires(name) or []:
                dependency = Requirement(line)
                if dependency.marker is None or dependency.marker.evaluate({**environment, "extra": extra}):
                    pending.append(dependency)
    return closure


def pinned_lines(names: Iterable[str], locked: Mapping[str, dict]) -> list[str]:
    """`name==version \\` plus one `--hash=` line per file the lock knows, sorted by name."""
    by_name = {normalized(name): entry for name, entry in locked.items()}
    lines = []
    for name in sorted(names):
        entry = by_name[name]
        hashes = " \\\n".join(f"    --hash={digest}" for digest in sorted(entry["hashes"]))
        lines.append(f"{name}{entry['version']} \\\n{hashes}")
    return lines
