"""python -m tools.lambda_build [NAME ...]   build the named functions (default: all), print each
                                         one's name, zip, source_code_hash and handler
python -m tools.lambda_build --pin       rewrite every function's requirements.txt from
                                         its requirements.in and Pipfile.lock"""

from __future__ import annotations

import argparse
import sys

from .build import LambdaBuildError, build, function_names
from .pins import PinError, write_pins
from .target import LAMBDA_SRC


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.lambda_build", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of: {', '.join(function_names())}")
    parser.add_argument("--pin", action="store_true", help="rewrite requirements.txt files instead of building")
    args = parser.parse_args(argv)
    try:
        if args.pin:
            for path in write_pins([LAMBDA_SRC / name for name in function_names()]):
                print(f"wrote {path}")
            return 0
        for name in args.names or function_names():
            built = build(name)
            print(f"{built.name}\t{built.path}\t{built.sha256_b64}\t{built.handler}")
    except (LambdaBuildError, PinError) as error:
        print(f"lambda-build: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
