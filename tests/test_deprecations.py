"""DC-9: no deprecated APIs. Synth runs with Python deprecation warnings as errors and jsii
deprecations failing (the session synth, STRICT_SYNTH_ENV), and prints no deprecation; the
synthesized backends use no setting cdktf's own assembly marks deprecated. Deprecated provider
arguments are Terraform's to report: tests/plan/test_deprecation_warnings.py."""

from __future__ import annotations

import copy
import json
import re
import tarfile
from functools import cache
from pathlib import Path

import cdktf
import pytest

from tests.support.scratch import copy_app, replace_once, synth_copy
from tests.support.synth import STRICT_SYNTH_ENV


@pytest.mark.req("DC-9")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_strict_synth_succeeds_and_prints_no_deprecation(synthesized, name):
    # GIVEN/WHEN the session synth, run with deprecations as errors (it would have failed otherwise)
    # THEN nothing on stderr mentions a deprecation either
    assert not re.search(r"deprecat", synthesized[name].stderr, re.IGNORECASE), synthesized[name].stderr


@pytest.mark.req("DC-9")
def test_a_deprecated_pydantic_call_in_a_stack_fails_the_strict_synth(tmp_path):
    # GIVEN a copy of the app whose stack base calls pydantic's deprecated `dict()` (a call that a
    # grep of stderr missed, because Python hides DeprecationWarning outside __main__)
    app = copy_app(tmp_path / "app")
    replace_once(
        app / "stacks" / "base.py",
        "        self.config = config\n",
        "        self.config = config\n        config.dict()\n",
    )
    # WHEN it is synthesized the way the tests synthesize
    result = synth_copy(app, "dev", tmp_path / "out", **STRICT_SYNTH_ENV)
    # THEN synth fails and names the deprecation
    assert result.returncode != 0
    assert "deprecated" in result.stderr and "model_dump" in result.stderr


@cache
def _deprecated_backend_settings() -> dict[str, set[str]]:
    """Backend settings cdktf's jsii assembly documents as deprecated, by backend, in Terraform's names."""
    tarball = next((Path(cdktf.__file__).parent / "_jsii").glob("cdktf@*.jsii.tgz"))
    with tarfile.open(tarball) as archive:
        assembly = json.load(archive.extractfile("package/.jsii"))
    deprecated: dict[str, set[str]] = {}
    for fqn, type_ in assembly["types"].items():
        backend = re.fullmatch(r"cdktf\.(\w+)BackendConfig", fqn)
        for prop in type_.get("properties", []) if backend else []:
            if "deprecated" in prop.get("docs", {}):
                snake = re.sub(r"(?<!^)(?=[A-Z])", "_", prop["name"]).lower()
                deprecated.setdefault(backend.group(1).lower(), set()).add(snake)
    return deprecated


def deprecated_backend_uses(stacks: dict[str, dict]) -> list[str]:
    uses = []
    for name, stack in stacks.items():
        for backend, settings in stack.get("terraform", {}).get("backend", {}).items():
            uses += [
                f"{name}: backend {backend}.{s}"
                for s in sorted(set(settings) & _deprecated_backend_settings().get(backend, set()))
            ]
    return uses


@pytest.mark.req("DC-9")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_no_backend_uses_a_setting_cdktf_marks_deprecated(synthesized, name):
    assert "role_arn" in _deprecated_backend_settings()["s3"], "the assembly still documents its deprecations"
    assert deprecated_backend_uses(synthesized[name].stacks) == []


@pytest.mark.req("DC-9")
def test_the_backend_check_bites_on_a_deprecated_setting(dev):
    # GIVEN the dev primary stack with the S3 backend's deprecated role_arn (assume_role replaced it)
    stacks = copy.deepcopy(dev.stacks)
    stacks["meridian-dev-primary"]["terraform"]["backend"]["s3"]["role_arn"] = "arn:aws:iam::123456789012:role/state"
    # THEN the check names it
    assert deprecated_backend_uses(stacks) == ["meridian-dev-primary: backend s3.role_arn"]
