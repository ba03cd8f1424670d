"""Per-environment configuration: one reviewed TOML file, validated into frozen models."""

from config.settings import (
    ENVIRONMENTS_FILE,
    ConfigError,
    EnvironmentSettings,
    environment_names,
    load_settings,
)

__all__ = [
    "ENVIRONMENTS_FILE",
    "ConfigError",
    "EnvironmentSettings",
    "environment_names",
    "load_settings",
]
