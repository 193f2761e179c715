"""The container's HEALTHCHECK: exit 0 when the liveness path on this host answers 200, else 1.

200 means PostgreSQL answers, with or without Redis (health.py): a cache outage must not fail
every container's check. Standard library only, so each run (every 30 s) starts fast and needs
nothing the image lacks; health.py serves the path named here.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

LIVENESS_PATH = "/health"


def main() -> int:
    # uvicorn reads UVICORN_PORT itself, so the image sets the port once for both.
    port = os.environ.get("UVICORN_PORT", "8080")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{LIVENESS_PATH}", timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1
