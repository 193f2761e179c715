"""`python -m payment_service serve UVICORN-ARGS...`: the image's command.

uvicorn with one worker process per CPU this container may use, unless WEB_CONCURRENCY (which
uvicorn reads as its worker count; the ECS task definition sets it to the task's vCPUs) says
otherwise. The CPUs are those the process may run on, capped by a cgroup CPU quota (docker
--cpus, a Kubernetes limit) when there is one.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_V2_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def _cgroup_cpu_limit() -> float | None:
    """CPUs the cgroup quota allows (quota / period), or None without a quota."""
    try:
        if CGROUP_V2_CPU_MAX.exists():
            quota, period = CGROUP_V2_CPU_MAX.read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        if CGROUP_V1_QUOTA.exists():
            quota = int(CGROUP_V1_QUOTA.read_text())
            return None if quota <= 0 else quota / int(CGROUP_V1_PERIOD.read_text())
    except (OSError, ValueError):
        return None
    return None


def available_cpus() -> int:
    cpus = len(os.sched_getaffinity(0))
    limit = _cgroup_cpu_limit()
    if limit is not None:
        cpus = min(cpus, math.floor(limit))
    return max(1, cpus)


def main(argv: list[str]) -> None:
    os.environ.setdefault("WEB_CONCURRENCY", str(available_cpus()))
    from uvicorn.main import main as uvicorn  # deferred: the other commands never load the server

    uvicorn.main(args=argv, prog_name="python -m payment_service serve")
