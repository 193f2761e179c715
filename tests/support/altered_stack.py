"""One initialized copy of a synthesized stack that tests alter, validate and restore.

The gate tests (DC-4) and the deprecation tests (DC-9) each change the dev primary stack's JSON in one
way and read what `terraform validate` says; the original is written back after every check, so a
failed assertion never leaves the next test an altered stack.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from tools.tfplan.workspace import StackWorkspace


class AlteredStack:
    def __init__(self, workspace: StackWorkspace) -> None:
        workspace.init()
        self.workspace = workspace
        self.original = workspace.config

    def validate(self, alter: Callable[[dict], None] | None = None) -> tuple[dict, str]:
        """`terraform validate -json` of the stack changed by `alter`, and its diagnostics as one string."""
        config = copy.deepcopy(self.original)
        if alter is not None:
            alter(config)
        self.workspace.write_config(config)
        try:
            result = self.workspace.validate()
        finally:
            self.restore()
        details = " ".join(f"{d['summary']}: {d.get('detail', '')}" for d in result["diagnostics"])
        return result, details

    def restore(self) -> None:
        self.workspace.write_config(self.original)
