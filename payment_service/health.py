"""GET /health: what the load balancer and the container check act on, and what people read.

The status code answers one question, whether this task can serve payments: 200 once the start-up
delay is over and PostgreSQL answers, 503 otherwise. Redis only shortens the way to what PostgreSQL
decides, so a cache outage keeps 200: failing every task's check at once would make the ALB and ECS
drain and replace the whole fleet for it. The body still tells people (`"status": "degraded"`,
`"failed": ["redis"]`), and a warning line (DEPENDENCY_DOWN) gives the alarms something to count.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .healthcheck import LIVENESS_PATH  # the one path the ALB, the image's HEALTHCHECK and ECS check

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])
# The ALB and ECS allow 10 s; answering within 2 s leaves room for both checks and the network.
CHECK_TIMEOUT_SECONDS = 2.0
# Dependencies without which no payment can be served; any other failure only degrades the task.
REQUIRED = ("postgres",)
DEPENDENCY_DOWN = "health check: dependency unavailable"


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


@router.get(
    LIVENESS_PATH,
    responses={
        200: {"description": "serving; `status` is `degraded` when Redis is down (PostgreSQL serves alone)"},
        503: {"description": "starting, or PostgreSQL is down"},
    },
)
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
    if not failed:
        return JSONResponse({"status": "ok", "checks": checks})
    log.warning(DEPENDENCY_DOWN, extra={"failed": ",".join(failed)})
    if any(name in REQUIRED for name in failed):
        return JSONResponse({"status": "unavailable", "failed": failed, "checks": checks}, status_code=503)
    return JSONResponse({"status": "degraded", "failed": failed, "checks": checks})
