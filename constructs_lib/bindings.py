"""The one place that loads the hashicorp/aws provider bindings, and loads them fast.

`import cdktf_cdktf_provider_aws` costs about 14 s: its __init__.py eagerly imports all 2,214
resource submodules, while loading the jsii assembly itself (the `_jsii` submodule) costs about 3 s.
Every submodule only needs `.._jsii`, so the fast path registers a bare package object in
sys.modules (same name, same __path__, no __init__ executed), loads `_jsii`, and then imports only
the submodules a stack uses. The synthesized JSON is byte-identical either way
(tests/test_bindings.py proves it).

If the package layout ever changes (no `_jsii` subpackage, or a submodule needing more than the
assembly), the loader falls back to the plain import, which is always correct, only slower.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Literal

PACKAGE = "cdktf_cdktf_provider_aws"

Mode = Literal["fast", "plain"]
_mode: Mode = "fast"


def configure(mode: Mode) -> None:
    """Choose how bindings load for this process; main.py sets it before any stack is built."""
    global _mode
    if mode not in ("fast", "plain"):
        raise ValueError(f"bindings mode {mode!r} is unknown; allowed: fast, plain")
    _mode = mode


def aws(submodule: str) -> types.ModuleType:
    """The bindings submodule for one resource or data source, e.g. aws("s3_bucket")."""
    if _mode == "fast" and PACKAGE not in sys.modules:
        _install_bare_package()
    try:
        return importlib.import_module(f"{PACKAGE}.{submodule}")
    except ImportError:
        if _is_bare(sys.modules.get(PACKAGE)):
            _fall_back_to_plain_import()
            return importlib.import_module(f"{PACKAGE}.{submodule}")
        raise


def loaded_mode() -> str:
    """How the package is loaded right now: 'fast', 'plain' or 'not loaded'."""
    package = sys.modules.get(PACKAGE)
    if package is None:
        return "not loaded"
    return "fast" if _is_bare(package) else "plain"


def _is_bare(module: types.ModuleType | None) -> bool:
    return module is not None and getattr(module, "__meridian_bare__", False)


def _install_bare_package() -> None:
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations or not (Path(locations[0]) / "_jsii" / "__init__.py").is_file():
        _fall_back_to_plain_import()
        return
    package = types.ModuleType(PACKAGE, "bindings package loaded without its eager __init__")
    package.__path__ = locations
    package.__file__ = spec.origin
    package.__package__ = PACKAGE
    package.__meridian_bare__ = True
    sys.modules[PACKAGE] = package
    try:
        importlib.import_module(f"{PACKAGE}._jsii")
    except ImportError:
        _fall_back_to_plain_import()


def _fall_back_to_plain_import() -> None:
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    importlib.import_module(PACKAGE)
