"""build(name) -> BuiltFunction: one function of lambda_src/ as a content-addressed zip."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .archive import ARCHIVE_FORMAT, ArchiveError, deterministic_zip, entries
from .dependencies import DependencyInstallError, install_dependencies
from .target import ARCHITECTURE, LAMBDA_SRC, REPO_ROOT, RUNTIME

HANDLER_MODULE, HANDLER_FUNCTION = "handler", "lambda_handler"
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
        digest = _zip_recorded(recorded, zips, name) if reuse else None
        if digest is None:
            data = deterministic_zip(files)
            digest = hashlib.sha256(data).digest()
            _store(zips, _zip_name(name, digest), data)
            _store(recorded.parent, recorded.name, digest.hex().encode("ascii"))
    except (DependencyInstallError, ArchiveError) as error:
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


def _zip_recorded(recorded: Path, zips: Path, name: str) -> bytes | None:
    """The SHA-256 of the zip once built from these inputs, if that zip is still there and still matches."""
    if not recorded.is_file():
        return None
    digest = bytes.fromhex(recorded.read_text(encoding="ascii"))
    path = zips / _zip_name(name, digest)
    if not path.is_file() or hashlib.sha256(path.read_bytes()).digest() != digest:
        return None
    return digest


def _store(directory: Path, file_name: str, data: bytes) -> Path:
    """Writes a file once (a zip named by its content's hash, or the record of one), whole or not at all."""
    path = directory / file_name
    if path.is_file() and path.read_bytes() == data:
        return path
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=f".{file_name}-", delete=False) as staging:
        staging.write(data)
    os.replace(staging.name, path)
    return path
