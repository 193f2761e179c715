"""Builds each Lambda function of lambda_src/ into a deterministic zip (LAM-3).

    from tools.lambda_build import build
    built = build("notifier")
    built.path          # the zip, under the cache
    built.sha256_b64    # base64 SHA-256 of its bytes: the function's source_code_hash
    built.handler       # "notifier.handler.lambda_handler"
    built.runtime, built.architecture   # what the zip's dependencies were built for

The zip holds the function's package (`notifier/...`) and, at its root, the dependencies pinned in
lambda_src/<name>/requirements.txt, installed by pip for the Lambda runtime (CPython 3.11 on
manylinux2014 x86_64, binary wheels only) into a cache keyed by that file's hash. The same inputs
give the same bytes: entries sorted, one fixed timestamp, fixed permissions, no bytecode, no
console scripts. boto3 and botocore come with the runtime and are not packaged.

`python -m tools.lambda_build [NAME ...]` builds from the command line; `--pin` rewrites every
function's requirements.txt from its requirements.in and Pipfile.lock.
"""

from .build import ARCHITECTURE, RUNTIME, BuiltFunction, LambdaBuildError, build, function_names

__all__ = ["ARCHITECTURE", "RUNTIME", "BuiltFunction", "LambdaBuildError", "build", "function_names"]
