"""Values rendered at synth, after every wiring call has run (policies that grow by grants, dashboards)."""

from __future__ import annotations

from collections.abc import Callable

import jsii
from cdktf import IStringProducer, Lazy


def lazy_string(produce: Callable[[], str]) -> str:
    """A string token that cdktf fills in at synth by calling `produce`."""
    return Lazy.string_value(_Producer(produce))


@jsii.implements(IStringProducer)
class _Producer:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self, context) -> str:
        return self._produce()
