"""Commands for operators and the container:

python -m payment_service serve ARGS   the image's command: uvicorn ARGS, one worker per CPU (serve.py)
python -m payment_service migrate      apply schema migrations (run before a deploy, never at start-up)
python -m payment_service healthcheck  exit 0 when /health on this host answers 200 (Docker HEALTHCHECK)
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # everything after it is uvicorn's
        from .serve import main as serve

        serve(argv[1:])
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m payment_service", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("serve", "migrate", "healthcheck"))
    command = parser.parse_args(argv).command
    # Each command imports only what it needs: the health check must not load the database driver.
    if command == "migrate":
        from .migrations import main as migrate

        return migrate()
    from .healthcheck import main as healthcheck

    return healthcheck()


if __name__ == "__main__":
    sys.exit(main())
