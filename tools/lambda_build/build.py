"""build(name) -> BuiltFunction: one function of lambda_src/ as a content-addressed zip."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .archive import ARCHIVE_FORMAT, ArchiveError, deterministic_zip, entries
from .dependencies import DependencyInstallError, install_dependencies
from .target import ARCHITECTURE, LAMBDA_SRC, REPO_ROOT, RUNTIME

HANDLER_MODULE, HANDLER_FUNCTION = "handler", "lambda_handler"
_SHA256_HEX = re.compile(rb"[0-9a-f]{64}")  # what a build record holds: the zip's SHA-256
# Files a function ships from elsewhere in the repository, kept in one place there: name in the
# function's package -> file. The rotation verifies the database against the RDS CA bundle.
SHARED_FILES: dict[str, dict[str, Path]] = {
    "rotation": {"rds-global-bundle.pem": REPO_ROOT / "payment_service" / "certs" / "rds-global-bundle.pem"},
}


class LambdaBuildError(Exception):
    """A function cannot be built; the message says which and why, in one sentence first."""


@dataclass(frozen=True)
class BuiltFunction:
    name: str
    path: Path  # the zip; its file name carries the first 16 hex digits of its SHA-256
    sha256_b64: str  # base64 of the zip's SHA-256, what aws_lambda_function.source_code_hash compares
    handler: str  # "<name>.handler.lambda_handler"
    runtime: str = RUNTIME
    architecture: str = ARCHITECTURE


def function_names(source_root: Path = LAMBDA_SRC) -> list[str]:
    """Every folder of `source_root` that holds a handler module."""
    return sorted(path.parent.name for path in source_root.glob(f"*/{HANDLER_MODULE}.py"))


def default_cache_dir() -> Path:
    """The project's cache (MERIDIAN_CACHE, as tools/bootstrap.sh sets it), shared by every checkout."""
    return Path(os.environ.get("MERIDIAN_CACHE") or Path.home() / ".cache" / "meridian")


def _announce(message: str) -> None:
    print(f"[lambda-build] {message}", file=sys.stderr, flush=True)


def build(
    name: str,
    *,
    source_root: Path = LAMBDA_SRC,
    cache_dir: Path | None = None,
    announce: Callable[[str], None] = _announce,
    reuse: bool = True,
) -> BuiltFunction:
    """Builds lambda_src/<name> and its pinned dependencies into <cache>/lambda-zips/<name>-<sha>.zip
    (`reuse=False` compresses again even when a zip of the same inputs is recorded)."""
    known = function_names(source_root)
    if name not in known:
        raise LambdaBuildError(f"no Lambda function {name!r} in {source_root}; the functions are: {', '.join(known)}")
    function_dir = source_root / name
    requirements = function_dir / "requirements.txt"
    if not requirements.is_file():
        raise LambdaBuildError(
            f"{function_dir} has no requirements.txt; write it with python -m tools.lambda_build --pin"
        )
    cache = cache_dir or default_cache_dir()
    zips = cache / "lambda-zips"
    try:
        dependencies = install_dependencies(requirements, cache / "lambda-deps", announce)
        files = entries(function_dir, name, dependencies, SHARED_FILES.get(name))
        # Compressing ~1,600 files takes seconds on every synth; the same inputs give the same bytes, so
        # a zip built before from exactly these inputs is the zip.
        recorded = zips / "inputs" / f"{name}-{_inputs_digest(files)}"
        digest = _zip_recorded(recorded, zips, name, announce) if reuse else None
        if digest is None:
            data = deterministic_zip(files)
            digest = hashlib.sha256(data).digest()
            _store(zips, _zip_name(name, digest), data)
            _record(recorded, name, digest, announce)
    except (DependencyInstallError, ArchiveError, OSError) as error:  # OSError: a full or read-only cache
        raise LambdaBuildError(f"cannot build {name}: {error}") from None
    path = zips / _zip_name(name, digest)
    announce(f"{name}: {path} ({path.stat().st_size // 1024} KiB)")
    return BuiltFunction(
        name=name,
        path=path,
        sha256_b64=base64.b64encode(digest).decode("ascii"),
        handler=f"{name}.{HANDLER_MODULE}.{HANDLER_FUNCTION}",
    )


def _zip_name(name: str, digest: bytes) -> str:
    return f"{name}-{digest.hex()[:16]}.zip"


def _inputs_digest(files: dict[str, Path]) -> str:
    """SHA-256 over every archive path and its file's bytes, and the archive format's version."""
    inputs = hashlib.sha256(ARCHIVE_FORMAT.encode("ascii"))
    for archive_path in sorted(files):
        inputs.update(archive_path.encode("utf-8") + b"\0")
        inputs.update(hashlib.sha256(files[archive_path].read_bytes()).digest())
    return inputs.hexdigest()


def _zip_recorded(recorded: Path, zips: Path, name: str, announce: Callable[[str], None]) -> bytes | None:
    """The SHA-256 of the zip once built from these inputs, if that zip is still there and still matches.
    The record is only a cache: one that cannot be read or is not a SHA-256 is no record (one line says
    which file), and the zip is built again."""
    try:
        text = recorded.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        announce(f"{name}: build record {recorded} is unreadable ({error.strerror}); building the zip again")
        return None
    if not _SHA256_HEX.fullmatch(text):
        announce(f"{name}: build record {recorded} is not a SHA-256 in hex; building the zip again")
        return None
    digest = bytes.fromhex(text.decode("ascii"))
    try:
        intact = hashlib.sha256((zips / _zip_name(name, digest)).read_bytes()).digest() == digest
    except OSError:  # gone or unreadable: build it again
        return None
    return digest if intact else None


def _record(recorded: Path, name: str, digest: bytes, announce: Callable[[str], None]) -> None:
    """Records which zip these inputs make; a record that cannot be written only costs the next build its reuse."""
    try:
        _store(recorded.parent, recorded.name, digest.hex().encode("ascii"))
    except OSError as error:
        announce(f"{name}: cannot write build record {recorded} ({error.strerror}); the next build compresses again")


def _store(directory: Path, file_name: str, data: bytes) -> Path:
    """Writes a file once (a zip named by its content's hash, or the record of one), whole or not at all:
    written to a temporary file beside it, flushed to disk, then renamed over it."""
    path = directory / file_name
    if _holds(path, data):
        return path
    directory.mkdir(parents=True, exist_ok=True)
    staging = tempfile.NamedTemporaryFile(dir=directory, prefix=f".{file_name}-", delete=False)
    try:
        with staging:
            staging.write(data)
            staging.flush()
            os.fsync(staging.fileno())
        os.replace(staging.name, path)
    except BaseException:
        Path(staging.name).unlink(missing_ok=True)
        raise
    return path


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:  # missing, unreadable or not a file: written anew
        return False
