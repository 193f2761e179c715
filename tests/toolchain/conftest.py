"""The offline stand-in for hashicorp/aws, installed once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.toolchain.terraform_workspace import run_installer


@pytest.fixture(scope="session")
def offline_cli_config() -> Path:
    """The CLI config that points Terraform at the stand-in, whatever the calling shell exported."""
    result = run_installer(MERIDIAN_TF_PROVIDER="offline")
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())
