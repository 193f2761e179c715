"""The one suppression file of the policy gate (QA-2): tools/checkov/suppressions.yaml.

Checkov cannot read inline skip comments in .tf.json, so every accepted exception lives here as
`{check, resource, stacks (optional), reason}`. Entries are matched against Terraform addresses
as the gate reports them (`aws_s3_bucket.remote-state_bucket_9B5F1477`), and also against the
same address without cdktf's 8-hex-digit logical-ID suffix (`aws_s3_bucket.remote-state_bucket`):
the suffix is a hash of the construct path, so an entry written without it keeps matching the
same construct in every environment and stack, and stops matching the day the construct moves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).with_name("suppressions.yaml")

_CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_[0-9]+$")
# `<type>.<name>` or `data.<type>.<name>`; the type is literal, only the name may hold globs.
_ADDRESS = re.compile(r"^(?:data\.)?[a-z][a-z0-9_]*\.(?P<name>\S+)$")
# A name must keep a literal word of three characters, so `aws_s3_bucket.*` names nothing.
_LITERAL_WORD = re.compile(r"[A-Za-z0-9_-]{3,}")
_CDKTF_HASH_SUFFIX = re.compile(r"_[0-9A-F]{8}$")
_MIN_REASON_WORDS = 8
_FIELDS = {"check", "resource", "stacks", "reason"}


class SuppressionFileError(ValueError):
    """The suppression file is malformed; the message lists every problem, one per line."""


@dataclass(frozen=True)
class Suppression:
    check: str
    resource: str  # a Terraform address or a glob over the name part, with or without cdktf's hash
    reason: str
    stacks: tuple[str, ...] = ()  # globs over stack names; empty means every stack

    def matches(self, check_id: str, stack: str, address: str) -> bool:
        if check_id != self.check:
            return False
        if self.stacks and not any(fnmatchcase(stack, pattern) for pattern in self.stacks):
            return False
        return fnmatchcase(address, self.resource) or fnmatchcase(stable_address(address), self.resource)

    def describe(self) -> str:
        where = f" in {', '.join(self.stacks)}" if self.stacks else ""
        return f"{self.check} {self.resource}{where}"


def stable_address(address: str) -> str:
    """The address without cdktf's logical-ID hash: `aws_kms_key.keys_logs_key_1A2B3C4D` -> `..._key`."""
    return _CDKTF_HASH_SUFFIX.sub("", address)


def entry_problems(entry: object) -> list[str]:
    """What is wrong with one raw entry of the file; empty when it is acceptable."""
    if not isinstance(entry, dict):
        return [f"an entry must be a mapping with {sorted(_FIELDS)}, got {entry!r}"]
    problems = [f"unknown field {field!r} (allowed: {sorted(_FIELDS)})" for field in entry if field not in _FIELDS]
    check, resource, reason = entry.get("check"), entry.get("resource"), entry.get("reason")
    if not isinstance(check, str) or not _CHECK_ID.match(check):
        problems.append(f"check {check!r} is not a Checkov check ID such as CKV_AWS_145 or CKV2_AWS_62")
    address = _ADDRESS.match(resource) if isinstance(resource, str) else None
    if address is None:
        problems.append(f"resource {resource!r} is not a Terraform address <type>.<name> (globs allowed in the name)")
    elif not _LITERAL_WORD.search(address.group("name")):
        problems.append(f"resource {resource!r} does not name a specific resource")
    if not isinstance(reason, str) or len(reason.split()) < _MIN_REASON_WORDS:
        problems.append(f"reason {reason!r} must say why, in at least {_MIN_REASON_WORDS} words")
    stacks = entry.get("stacks", [])
    if not isinstance(stacks, list) or (not stacks and "stacks" in entry):
        problems.append("stacks, when given, must be a non-empty list of stack-name globs")
    elif not all(isinstance(stack, str) and stack.strip("*?") for stack in stacks):
        problems.append(f"stacks {stacks!r} must be stack-name globs, not bare wildcards")
    return problems


def load_suppressions(path: Path = DEFAULT_PATH) -> list[Suppression]:
    """Parse and validate the file; raises SuppressionFileError naming every bad entry."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise SuppressionFileError(f"{path}: cannot read the suppression file: {error}") from error
    raw = [] if raw is None else raw
    if not isinstance(raw, list):
        raise SuppressionFileError(f"{path}: must be a YAML list of suppression entries")
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(raw, start=1):
        problems += [f"{path}: entry {index}: {problem}" for problem in entry_problems(entry)]
        if isinstance(entry, dict) and isinstance(entry.get("check"), str) and isinstance(entry.get("resource"), str):
            # with and without the cdktf hash, the same address is the same entry
            pair = (entry["check"], stable_address(entry["resource"]))
            if pair in seen:
                problems.append(f"{path}: entry {index}: {pair[0]} on {pair[1]} is listed twice")
            seen.add(pair)
    if problems:
        raise SuppressionFileError("\n".join(problems))
    return [
        Suppression(
            check=entry["check"],
            resource=entry["resource"],
            reason=" ".join(entry["reason"].split()),
            stacks=tuple(entry.get("stacks", [])),
        )
        for entry in raw
    ]
