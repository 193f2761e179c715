"""The one place that knows how the hashicorp/aws provider bindings are loaded, and loads them fast.

Everyone else imports bindings the way every cdktf user writes them:

    from cdktf_cdktf_provider_aws.kms_key import KmsKey

`import cdktf_cdktf_provider_aws` costs 14-30 s: its __init__.py eagerly imports all 2,214 resource
submodules, while loading the jsii assembly itself (the `_jsii` submodule) costs about 2 s. Every
submodule only needs `.._jsii`, so `install()` (run when `constructs_lib` is first imported, before
any binding import) puts a finder on `sys.meta_path` that loads the package as a bare module (same
name, same __path__, no eager __init__) and loads `_jsii` into it; an ordinary `from
cdktf_cdktf_provider_aws.<submodule> import ...` then loads only that submodule.

The same eagerness sits on the JavaScript side: of those 2 s, 1.6 s is the kernel requiring every
resource module of the provider's index.js. In fast mode the kernel's node process (started at the
first jsii import, after this module) preloads lazy_provider_index.js through NODE_OPTIONS, which
makes those requires happen on first use. The synthesized JSON is byte-identical either way
(tests/test_bindings.py proves it).

If the package layout ever changes (no `_jsii` subpackage, or `_jsii` failing to load alone), the
finder steps aside and the plain import runs, which is always correct, only slower.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

PACKAGE = "cdktf_cdktf_provider_aws"

Mode = Literal["fast", "plain"]
_mode: Mode = "fast"
LAZY_PROVIDER_INDEX = Path(__file__).with_name("lazy_provider_index.js")


def configure(mode: str) -> None:
    """Choose how bindings load for this process; main.py calls it before any stack is built."""
    global _mode
    if mode not in ("fast", "plain"):
        raise ValueError(f"MERIDIAN_BINDINGS is {mode!r}; allowed: fast, plain")
    _mode = "fast" if mode == "fast" else "plain"
    _preload_lazy_index(_mode == "fast")


def install() -> None:
    """Put the fast finder in front of the import system, once per process."""
    if not any(isinstance(finder, _BarePackageFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _BarePackageFinder())
    _preload_lazy_index(_mode == "fast")


def preload_option(script: Path) -> str:
    """The NODE_OPTIONS entry that preloads `script`: node reads a double-quoted value with backslash
    escapes, so the path is quoted with non-ASCII characters kept as they are (node has no \\u escapes)."""
    return f"--require {json.dumps(str(script), ensure_ascii=False)}"


def _preload_lazy_index(wanted: bool) -> None:
    """Add (or take back) the lazy index hook in NODE_OPTIONS, for the jsii kernel not started yet.
    Set in this process's environment, it reaches every node process started from here (pyright, the
    cdktf CLI too), where it compiles every file as before except the provider's index."""
    option = preload_option(LAZY_PROVIDER_INDEX)
    others = os.environ.get("NODE_OPTIONS", "").replace(option, "").strip()
    options = f"{others} {option}".strip() if wanted else others
    if options:
        os.environ["NODE_OPTIONS"] = options
    else:
        os.environ.pop("NODE_OPTIONS", None)


def loaded_mode() -> str:
    """How the package is loaded right now: 'fast', 'plain' or 'not loaded'."""
    package = sys.modules.get(PACKAGE)
    if package is None:
        return "not loaded"
    return "fast" if getattr(package, "__meridian_bare__", False) else "plain"


class _BarePackageFinder(importlib.abc.MetaPathFinder):
    """Finds only the bindings package itself, and only in fast mode; submodules load as usual."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None):
        if fullname != PACKAGE or _mode != "fast":
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        locations = list(real.submodule_search_locations or []) if real else []
        if real is None or not locations or not (Path(locations[0]) / "_jsii" / "__init__.py").is_file():
            return None  # unfamiliar layout: the plain import handles it
        spec = importlib.util.spec_from_file_location(
            fullname, real.origin, loader=_BarePackageLoader(real), submodule_search_locations=locations
        )
        return spec


class _BarePackageLoader(importlib.abc.Loader):
    def __init__(self, real: importlib.machinery.ModuleSpec) -> None:
        self._real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None  # the default module object, with __path__ from the spec

    def exec_module(self, module: types.ModuleType) -> None:
        try:
            importlib.import_module(f"{PACKAGE}._jsii")
        except ImportError:
            # The assembly does not load alone any more: run the package's own __init__ instead.
            for name in [n for n in sys.modules if n.startswith(PACKAGE + ".")]:
                del sys.modules[name]
            assert self._real.loader is not None
            self._real.loader.exec_module(module)
            return
        module.__meridian_bare__ = True  # type: ignore[attr-defined]
        module.__getattr__ = _import_submodule  # type: ignore[attr-defined]  # PEP 562: `package.kms_key` still works


def _import_submodule(name: str) -> types.ModuleType:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return importlib.import_module(f"{PACKAGE}.{name}")
    except ModuleNotFoundError as missing:
        raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from missing
