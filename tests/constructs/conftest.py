"""The runtime composition, synthesized once per session for every test that only reads it."""

import pytest

from tests.support.constructs import SynthStack, synth_construct
from tests.support.runtime import build_runtime


@pytest.fixture(scope="session")
def runtime() -> SynthStack:
    return synth_construct(build_runtime)


@pytest.fixture(scope="session")
def runtime_without_service() -> SynthStack:
    return synth_construct(lambda stack: build_runtime(stack, deploy=False, deletion_protection=False))
