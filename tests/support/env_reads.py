"""QA-4: find the environment variables code reads without a default, by reading its syntax tree.

A read has a default when it passes one (`os.environ.get(NAME, default)`, `os.getenv(NAME, default)`),
is the left side of an `or`, or is only compared or tested for truth (absence is then a value). Names given through a module-level constant are resolved.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path


def string_constants(source: str) -> dict[str, str]:
    """Module-level `NAME = "text"` assignments."""
    return {
        target.id: node.value.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def reads_without_default(source: str, imported: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """(line, variable name) of each read with no default; `?` when the name is computed.

    imported: constants of other modules, for names a module imports (`from x import NAME_ENV`).
    """
    tree = ast.parse(source)
    constants = {**(imported or {}), **string_constants(source)}
    defaulted = _absence_handled(tree)
    found = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value):
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and _is_environment_getter(node.func)
            and len(node.args) + len(node.keywords) == 1
        ):
            key = node.args[0] if node.args and id(node) not in defaulted else None
        if key is not None:
            found.append((node.lineno, _name(key, constants)))
    return sorted(found)


def _absence_handled(tree: ast.AST) -> set[int]:
    """Reads whose missing value means something by itself: `x or default`, a comparison
    (`get(NAME) == "1"`), or a truth test (`if`, `not`, a conditional expression)."""
    handled: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            handled |= {id(value) for value in node.values[:-1]}
        elif isinstance(node, ast.Compare):
            handled |= {id(node.left), *(id(c) for c in node.comparators)}
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            handled.add(id(node.operand))
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)):
            handled.add(id(node.test))
    return handled


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _is_environment_getter(func: ast.AST) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "getenv"
    if not isinstance(func, ast.Attribute):
        return False
    return (func.attr == "get" and _is_environ(func.value)) or (
        func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id == "os"
    )


def _name(node: ast.AST, constants: dict[str, str]) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id, "?")
    if isinstance(node, ast.Attribute):
        return constants.get(node.attr, "?")
    return "?"


def exported_by_meridian(bootstrap: Path) -> set[str]:
    """Variables tools/bootstrap.sh exports for every ./meridian command."""
    names = set()
    for line in bootstrap.read_text().splitlines():
        match = re.match(r"\s*export\s+(.*)", line)
        if match:
            names |= {
                word.split("=", 1)[0] for word in match.group(1).split() if re.match(r"^[A-Z_][A-Z0-9_]*(=|$)", word)
            }
    return names
