"""Load and validate one environment's configuration, once, at the edge.

Every failure becomes a ConfigError whose message is one sentence naming the file, the field, the
bad value and what is allowed, so main.py can print it and stop before anything is synthesized.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from config.model import ENVIRONMENTS, EnvironmentConfig

ENVIRONMENTS_DIR = Path(__file__).resolve().parent / "environments"


class ConfigError(Exception):
    """A configuration a user can fix; the message is meant to be printed as it is."""


def load(environment: str, directory: Path = ENVIRONMENTS_DIR) -> EnvironmentConfig:
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"environment {environment!r} is unknown; allowed: {', '.join(ENVIRONMENTS)}")
    path = Path(directory) / f"{environment}.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: file not found; every environment needs config/environments/<name>.yaml")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level, found {type(data).__name__}")
    try:
        config = EnvironmentConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{path}: {_describe(error)}") from None
    if config.environment != environment:
        raise ConfigError(
            f"{path}: environment: {config.environment!r} does not match the file name; allowed: {environment!r}"
        )
    return config


def _describe(error: ValidationError) -> str:
    """The first problem as 'field.path: message', plus how many more there are."""
    problems = error.errors(include_url=False)
    first = problems[0]
    # A rule across sections (a model validator of the whole file) has no location: its message names the fields.
    field = ".".join(str(part) for part in first["loc"])
    if first["type"] == "missing":
        message = "missing; this value is required"
    elif first["type"] == "extra_forbidden":
        message = "is not a known setting; allowed: the fields of config/model.py"
    else:
        message = first["msg"].removeprefix("Value error, ")
        if "input" in first and first["type"] not in ("value_error",):
            message = f"{first['input']!r}: {message}"
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    return f"{field}: {message}{more}" if field else f"{message}{more}"
