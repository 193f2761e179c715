"""What the functions run on: AWS Lambda's python3.11 runtime on x86_64 (Amazon Linux 2).

The project's own interpreter is CPython 3.11 too, so the tests run the functions' code, and the
very wheels the zips carry, on the runtime's Python version. Changing the runtime means changing
all of these together.
"""

from pathlib import Path

RUNTIME = "python3.11"
ARCHITECTURE = "x86_64"
PYTHON_VERSION = "3.11"
# Amazon Linux 2 has glibc 2.26: manylinux2014 (glibc 2.17) wheels run there, newer tags may not.
PIP_PLATFORM_ARGS = (
    "--platform",
    "manylinux2014_x86_64",
    "--implementation",
    "cp",
    "--python-version",
    PYTHON_VERSION,
    "--abi",
    "cp311",
    "--only-binary=:all:",
)
# Environment markers of the runtime, for choosing the dependencies a requirement needs there.
MARKERS = {
    "implementation_name": "cpython",
    "implementation_version": f"{PYTHON_VERSION}.0",
    "os_name": "posix",
    "platform_machine": ARCHITECTURE,
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": f"{PYTHON_VERSION}.0",
    "python_version": PYTHON_VERSION,
    "sys_platform": "linux",
}
# The runtime ships these (and what they need); a function uses them, never packages them.
RUNTIME_PROVIDED = ("boto3", "botocore")

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SRC = REPO_ROOT / "lambda_src"
LOCK_FILE = REPO_ROOT / "Pipfile.lock"
