"""A zip whose bytes depend only on the files' paths and contents.

Entries are sorted by path, every entry has the same timestamp (the zip format's earliest,
1980-01-01) and the same permissions (0644, which Lambda needs: world-readable), and the same
compression. Left out: bytecode (the runtime compiles for its own Python), console scripts under
bin/ and the RECORD files that list them (their shebang names the interpreter that installed them).
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = stat.S_IFREG | 0o644
COMPRESS_LEVEL = 9
# What else decides the zip's bytes besides its files: a zip recorded for the same files and format
# is reused (build.py), so anything new in deterministic_zip belongs here too.
ARCHIVE_FORMAT = f"deflate-{COMPRESS_LEVEL} {FIXED_TIMESTAMP} {FILE_MODE:o}"
FUNCTION_FILES_LEFT_OUT = {"requirements.in", "requirements.txt"}


class ArchiveError(ValueError):
    """The inputs cannot make one well-defined archive (a clash of paths, a symbolic link)."""


def _files(root: Path) -> list[tuple[PurePosixPath, Path]]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if "__pycache__" in relative.parts or relative.suffix in {".pyc", ".pyo"}:
            continue
        if path.is_symlink():
            raise ArchiveError(f"{path} is a symbolic link; a Lambda zip holds files only")
        if path.is_file():
            found.append((relative, path))
    return found


def entries(
    function_dir: Path, package: str, dependencies_dir: Path, shared: Mapping[str, Path] | None = None
) -> dict[str, Path]:
    """Archive path -> file: the dependencies at the root, the function's files and the `shared`
    ones (name in the package -> file elsewhere in the repository) under `package/`."""
    result: dict[str, Path] = {}
    for relative, path in _files(dependencies_dir):
        if relative.parts[0] == "bin" or (relative.parent.suffix == ".dist-info" and relative.name == "RECORD"):
            continue
        result[str(relative)] = path
    function_files = {str(relative): path for relative, path in _files(function_dir)}
    for relative, path in [*function_files.items(), *(shared or {}).items()]:
        if relative in FUNCTION_FILES_LEFT_OUT:
            continue
        if not path.is_file():
            raise ArchiveError(f"{path}, which {package} ships as {relative}, is missing")
        name = f"{package}/{relative}"
        if name in result:
            raise ArchiveError(f"{name} comes from two places ({result[name]} and {path})")
        result[name] = path
    return result


def deterministic_zip(files: dict[str, Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
            info.create_system = 3  # Unix, so that external_attr carries the permissions
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].read_bytes(), compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()
