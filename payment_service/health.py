"""GET /health: 200 only when PostgreSQL and Redis both answer, and the start-up delay is over."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])
# The ALB and ECS allow 10 s; answering within 2 s leaves room for both checks and the network.
CHECK_TIMEOUT_SECONDS = 2.0


class ReadinessGate:
    """Holds readiness back for STARTUP_DELAY_SECONDS after start; it never blocks serving."""

    def __init__(self, delay_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._ready_at = clock() + delay_seconds

    def remaining(self) -> float:
        return max(0.0, self._ready_at - self._clock())


async def _check(probe: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except Exception:  # any failure of a dependency check is the same answer: it is down
        return "unavailable"
    return "ok"


@router.get("/health", responses={503: {"description": "starting, or a dependency is down"}})
async def health(request: Request) -> JSONResponse:
    state = request.app.state
    remaining = state.readiness.remaining()
    if remaining > 0:
        return JSONResponse(
            {"status": "starting", "ready_in_seconds": round(remaining, 1)},
            status_code=503,
            headers={"Retry-After": str(math.ceil(remaining))},
        )
    postgres, redis = await asyncio.gather(_check(state.database.ping), _check(state.cache.ping))
    checks = {"postgres": postgres, "redis": redis}
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        return JSONResponse({"status": "unavailable", "failed": failed, "checks": checks}, status_code=503)
    return JSONResponse({"status": "ok", "checks": checks})
