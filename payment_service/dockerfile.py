"""Reads payment_service/Dockerfile the way the tests and the benchmark need it: each stage's base and
instructions, and the runtime stage's command and environment, so both run the service as the image
does. Not shipped in the image."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parent / "Dockerfile"


def instructions(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in dockerfile.read_text().splitlines() if not line.lstrip().startswith("#")),
    )
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in text.splitlines() if line.strip()
    ]


def stages(dockerfile: Path = DOCKERFILE) -> list[dict]:
    """Each stage's base image (build arguments resolved) and its instructions."""
    global_args, result = {}, []
    for keyword, arguments in instructions(dockerfile):
        if keyword == "ARG" and not result:
            name, _, default = arguments.partition("=")
            global_args[name] = default
        elif keyword == "FROM":
            base = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], arguments.split()[0])
            result.append({"base": base, "name": arguments.split()[-1], "steps": []})
        else:
            result[-1]["steps"].append((keyword, arguments))
    return result


def steps(stage: dict, keyword: str) -> list[str]:
    return [arguments for kind, arguments in stage["steps"] if kind == keyword]


def exec_form(arguments: str) -> list[str]:
    return json.loads(arguments[arguments.index("[") :])


def runtime_command(dockerfile: Path = DOCKERFILE) -> list[str]:
    """The runtime stage's CMD, as the container runs it from WORKDIR /app (the repository root's twin)."""
    return exec_form(steps(stages(dockerfile)[-1], "CMD")[-1])


def runtime_environment(dockerfile: Path = DOCKERFILE) -> dict[str, str]:
    """The runtime stage's ENV settings (NAME=value pairs), without PATH, which names the image's virtualenv."""
    environment = {}
    for arguments in steps(stages(dockerfile)[-1], "ENV"):
        for name, value in re.findall(r"(\w+)=(\S+)", arguments):
            environment[name] = value
    environment.pop("PATH", None)
    return environment
