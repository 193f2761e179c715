"""`./meridian review --base REF`: plan the current tree against the state its base revision left.

The base revision is checked out into a temporary git worktree (removed afterwards), synthesized,
and applied stack by stack on the offline stand-in with local state. The current tree is then
synthesized and each of its stacks planned, in dependency order, against the base's state of the
same stack: what a merge would do to what exists. A stack the base lacks plans against empty state
(and is applied, so stacks that read it can plan); a stack only the base has plans its destruction.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.tfplan import terraform
from tools.tfplan.environment import plan_stacks
from tools.tfplan.plan import Plan
from tools.tfplan.synth import SynthError
from tools.tfplan.workspace import STATE_FILE, StackWorkspace, prepare

# Starts synthesizing the tree rooted at the first path into the second; returns the running process.
StartSynth = Callable[[Path, Path], subprocess.Popen]


class BaseRevisionError(Exception):
    """The base revision cannot be used; the message says why in one sentence."""


def plan_against_base(
    repo: Path, base_ref: str, start_synth: StartSynth, scratch: Path
) -> tuple[str, list[tuple[str, Plan]]]:
    """Returns the base's short commit and (stack, plan) pairs: current stacks in dependency order,
    then the destruction plans of stacks the current tree no longer has."""
    commit = resolve_commit(repo, base_ref)
    short = commit[:12]
    with worktree(repo, commit, scratch / "base-tree") as base_tree:
        terraform.progress(f"synthesizing the base ({base_ref} = {short}) and the current tree")
        base_out, head_out = scratch / "base-synth", scratch / "head-synth"
        running = [
            (f"the base {base_ref}", start_synth(base_tree, base_out)),
            ("the current tree", start_synth(repo, head_out)),
        ]
        for what, process in running:
            _finish(what, process)
    terraform.progress("applying the base's stacks on the offline stand-in (local state)")
    base = {
        result.workspace.name: result.workspace
        for result in plan_stacks(prepare(base_out, scratch / "base", provider="offline"), apply=True)
    }
    head = prepare(head_out, scratch / "head", provider="offline")
    plans = _plan_head(head, base)
    for name in sorted(set(base) - {workspace.name for workspace in head}):
        terraform.progress(f"{name}: only the base has it; planning its destruction")
        plans.append((name, base[name].plan("-destroy")))
    return short, plans


def resolve_commit(repo: Path, ref: str) -> str:
    result = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if result.returncode != 0:
        raise BaseRevisionError(
            f"--base {ref!r} is not a commit of the repository at {repo}; give a branch, tag or commit"
        )
    return result.stdout.strip()


@contextmanager
def worktree(repo: Path, commit: str, path: Path) -> Iterator[Path]:
    """A detached worktree of commit at path, removed (and unregistered) however the block ends."""
    _git(repo, "worktree", "add", "--detach", "--quiet", str(path), commit)
    try:
        yield path
    finally:
        _git(repo, "worktree", "remove", "--force", str(path), check=False)
        shutil.rmtree(path, ignore_errors=True)
        _git(repo, "worktree", "prune", check=False)


def _plan_head(head: list[StackWorkspace], base: dict[str, StackWorkspace]) -> list[tuple[str, Plan]]:
    consumed = {producer for workspace in head for producer in workspace.dependencies}
    plans = []
    for index, workspace in enumerate(head, 1):
        existing = base.get(workspace.name)
        where = "against the base's state" if existing else "new in this change, against empty state"
        terraform.progress(f"[{index}/{len(head)}] {workspace.name}: init, plan {where}")
        if existing and (existing.directory / STATE_FILE).is_file():
            shutil.copyfile(existing.directory / STATE_FILE, workspace.directory / STATE_FILE)
        workspace.init()
        plan = workspace.plan()
        if not existing and workspace.name in consumed:
            workspace.apply()  # so that the stacks reading its outputs can plan
        plans.append((workspace.name, plan))
    return plans


def _finish(what: str, process: subprocess.Popen) -> None:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SynthError(f"synthesizing {what} failed: {(stderr or stdout).strip()}")


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise BaseRevisionError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result
