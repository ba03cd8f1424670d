"""Per-environment configuration: one reviewed TOML file, validated into frozen models.

``limits`` holds AWS's limits, ``errors`` the one-line error format, ``sections`` one model
per table section, ``environment`` the whole environment and its cross-section rules,
``loader`` the TOML reading.
"""

from config.environment import EnvironmentSettings
from config.errors import ConfigError, SettingError
from config.loader import (
    ENVIRONMENTS_FILE,
    environment_names,
    load_settings,
    parse_settings,
    read_environments,
)
from config.sections import (
    AutoMLSettings,
    AutoscalingSettings,
    DatasetSettings,
    DeploymentSettings,
    EncryptionSettings,
    EndpointSettings,
    MonitorSettings,
    NetworkSettings,
    StorageSettings,
    StudioSettings,
)

__all__ = [
    "ENVIRONMENTS_FILE",
    "AutoMLSettings",
    "AutoscalingSettings",
    "ConfigError",
    "DatasetSettings",
    "DeploymentSettings",
    "EncryptionSettings",
    "EndpointSettings",
    "EnvironmentSettings",
    "MonitorSettings",
    "NetworkSettings",
    "SettingError",
    "StorageSettings",
    "StudioSettings",
    "environment_names",
    "load_settings",
    "parse_settings",
    "read_environments",
]
