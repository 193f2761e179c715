"""Environment configuration: data in config/environments/*.yaml, shape in config/model.py."""

from config.load import ConfigError, load
from config.model import EnvironmentConfig

__all__ = ["ConfigError", "EnvironmentConfig", "load"]
