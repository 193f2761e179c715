"""Install the offline stand-in for hashicorp/aws and print the Terraform CLI config that uses it.

Run as ``python -m tools.offline_provider.install`` from the repository root (tools/bootstrap.sh does,
and exports TF_CLI_CONFIG_FILE from what it prints).

Contract:
* stdout: exactly one line, the path of a Terraform CLI config file; progress goes to stderr as
  ``[provider] ...`` lines.
* ``MERIDIAN_CACHE`` (default ``~/.cache/meridian``): everything is built under
  ``$MERIDIAN_CACHE/aws-offline/<bindings version>-<sources hash>/`` (schema.json, a filesystem
  mirror holding the provider binary and its schema, terraformrc). A warm run only hashes the
  sources and finds terraformrc; a change of the bindings or of the generator/provider sources makes
  a new folder.
* ``MERIDIAN_TF_PROVIDER=registry``: build nothing; print a CLI config that installs providers
  directly from their registry (for machines that reach it). Unset or ``offline``: the stand-in.
* Needs ``terraform`` (the pinned one) and ``go`` on PATH for a cold run only.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.offline_provider.bindings_js import BindingsError, read_bindings
from tools.offline_provider.schema_gen import bindings_tarball, bindings_version, write_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATOR_DIR = REPO_ROOT / "tools" / "offline_provider"
PROVIDER_SOURCE_DIR = REPO_ROOT / "tools" / "aws-offline-provider"
PROVIDER_SOURCE = "hashicorp/aws"
MODES = ("offline", "registry")


class InstallError(Exception):
    """A problem the user can fix, said in one sentence."""


def progress(message: str) -> None:
    print(f"[provider] {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    return Path(os.environ.get("MERIDIAN_CACHE") or Path.home() / ".cache" / "meridian") / "aws-offline"


def sources_hash() -> str:
    """Hash of everything that shapes the schema or the binary: generator, installer, Go module."""
    files = sorted(GENERATOR_DIR.glob("*.py")) + [PROVIDER_SOURCE_DIR / "go.mod", PROVIDER_SOURCE_DIR / "go.sum"]
    files += sorted(path for path in PROVIDER_SOURCE_DIR.glob("*.go") if not path.name.endswith("_test.go"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def registry_config() -> Path:
    """A CLI config for machines that reach the registry: the default, direct installation."""
    path = cache_root() / "direct-install.tfrc"
    write_atomically(path, "provider_installation {\n  direct {}\n}\n")
    return path


def offline_config() -> Path:
    """Build (once per cache key) the schema, the provider and its mirror; return the CLI config."""
    tarball = bindings_tarball()
    folder = cache_root() / f"{bindings_version(tarball)}-{sources_hash()}"
    config = folder / "terraformrc"
    if config.is_file():
        return config
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        # Other shells of the same checkout may install at the same moment; one builds, others wait.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not config.is_file():
            build(tarball, folder)
    return config


def build(tarball: Path, folder: Path) -> None:
    host = registry_host()
    started = time.monotonic()
    progress(f"generating the hashicorp/aws schema from {tarball.name} (about 5 s)")
    bindings = read_bindings(tarball)
    schema = folder / "schema.json"
    write_schema(bindings, f"{host}/{PROVIDER_SOURCE}", schema)
    package_dir = folder / "mirror" / host / PROVIDER_SOURCE / bindings.provider_version / go_platform()
    package_dir.mkdir(parents=True, exist_ok=True)
    binary = package_dir / f"terraform-provider-aws_v{bindings.provider_version}"
    progress(f"building the offline provider into {binary} (35 s or more with a cold Go build cache, seconds after)")
    go_build(binary)
    shutil.copyfile(schema, package_dir / "schema.json")
    write_atomically(folder / "terraformrc", cli_config(folder / "mirror"))
    progress(f"offline hashicorp/aws {bindings.provider_version} ready in {time.monotonic() - started:.0f} s")


def registry_host() -> str:
    """The registry host Terraform itself assigns to `hashicorp/aws` (read, offline, from `terraform providers`)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        raise InstallError("terraform is not on PATH; run through ./meridian or source tools/bootstrap.sh first")
    with tempfile.TemporaryDirectory(prefix="meridian-provider-address-") as probe:
        Path(probe, "main.tf.json").write_text(
            json.dumps({"terraform": {"required_providers": {"aws": {"source": PROVIDER_SOURCE}}}}), encoding="utf-8"
        )
        environment = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
        result = subprocess.run(
            [terraform, "providers"], cwd=probe, env=environment, capture_output=True, text=True, check=False
        )
    match = re.search(r"provider\[([^\]/]+)/" + re.escape(PROVIDER_SOURCE) + r"\]", result.stdout)
    if match is None:
        raise InstallError(
            f"`terraform providers` did not name the address of {PROVIDER_SOURCE}: {result.stderr.strip()}"
        )
    return match.group(1)


def go_platform() -> str:
    result = run_go(["env", "GOOS", "GOARCH"], capture=True)
    goos, goarch = result.split()
    return f"{goos}_{goarch}"


def go_build(binary: Path) -> None:
    run_go(["build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "."], capture=False)


def run_go(arguments: list[str], capture: bool) -> str:
    go = shutil.which("go")
    if go is None:
        raise InstallError("go is not on PATH; the offline provider is built with Go (1.25 or newer)")
    # Reproducible: the committed go.sum decides every dependency, and no C toolchain takes part.
    environment = dict(os.environ, GOFLAGS="-mod=readonly -buildvcs=false", CGO_ENABLED="0")
    result = subprocess.run(
        [go, *arguments],
        cwd=PROVIDER_SOURCE_DIR,
        env=environment,
        check=False,
        stdout=subprocess.PIPE if capture else sys.stderr,
        stderr=subprocess.PIPE if capture else sys.stderr,
        text=True,
    )
    if result.returncode != 0:
        raise InstallError(f"`go {' '.join(arguments)}` failed in {PROVIDER_SOURCE_DIR} (exit {result.returncode})")
    return result.stdout if capture else ""


def cli_config(mirror: Path) -> str:
    # Only the mirror and no `direct {}`: an offline machine must never try the network.
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f'    include = ["{PROVIDER_SOURCE}"]\n'
        "  }\n"
        "}\n"
    )


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def main() -> int:
    mode = os.environ.get("MERIDIAN_TF_PROVIDER") or "offline"
    try:
        if mode not in MODES:
            raise InstallError(f"MERIDIAN_TF_PROVIDER={mode!r} is not supported; use one of {', '.join(MODES)}")
        config = registry_config() if mode == "registry" else offline_config()
    except (InstallError, BindingsError) as error:
        progress(f"error: {error}")
        return 1
    print(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
