"""Read ``config/environments.toml`` and validate one environment's table.

Every problem becomes one line of a ``ConfigError``, naming the key, the bad value and
what is allowed, so ``app.py`` prints it without a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from config import aws_catalog
from config.environment import EnvironmentSettings
from config.errors import ConfigError, SettingError, show
from config.limits import ENVIRONMENT_NAME, MAX_ENVIRONMENT_NAME_LENGTH

ENVIRONMENTS_FILE = Path(__file__).with_name("environments.toml")


def read_environments(path: Path = ENVIRONMENTS_FILE) -> dict[str, dict[str, Any]]:
    """The TOML file's environment tables, by name, in file order."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(
            f"environments_file = {str(path)!r}: {error.strerror or error}; allowed: a "
            "readable TOML file, by default config/environments.toml"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path.name}: not valid TOML: {error}") from None
    for name, table in document.items():
        if not isinstance(table, dict):
            raise ConfigError(
                f"{name} = {show(table)}: top-level keys of {path.name} are environments; "
                f"allowed: a table, e.g. [{name}] with removal_policy = 'destroy'"
            )
        if len(name) > MAX_ENVIRONMENT_NAME_LENGTH or not ENVIRONMENT_NAME.fullmatch(name):
            raise ConfigError(
                f"[{name}] in {path.name}: not a usable environment name (it goes into stack, "
                f"bucket and job names); allowed: 1-{MAX_ENVIRONMENT_NAME_LENGTH} lowercase "
                "letters, digits and single hyphens, starting with a letter, e.g. [qa]"
            )
    return document


def environment_names(path: Path = ENVIRONMENTS_FILE) -> tuple[str, ...]:
    """Every environment the TOML file defines; tests and tools iterate over these."""
    return tuple(read_environments(path))


def load_settings(env_name: str, path: Path = ENVIRONMENTS_FILE) -> EnvironmentSettings:
    """Read ``path`` and return the validated settings of ``env_name``."""
    environments = read_environments(path)
    allowed = ", ".join(environments) or f"none (add a table such as [dev] to {path.name})"
    if not env_name.strip():
        raise ConfigError(f"env = {env_name!r} (-c env=...): empty; allowed: {allowed}")
    if env_name not in environments:
        hint = aws_catalog.did_you_mean(env_name, tuple(environments))
        raise ConfigError(
            f"env = {env_name!r} (-c env=...): no [{env_name}] table in {path.name}; "
            f"{hint}allowed: {allowed}"
        )
    return parse_settings(env_name, environments[env_name])


def parse_settings(env_name: str, raw: dict[str, Any]) -> EnvironmentSettings:
    """Validate one environment's table; every problem becomes one line of the error."""
    if "name" in raw:
        raise ConfigError(
            f"{env_name}.name = {show(raw['name'])}: unknown key (the table's name is the "
            f"environment's name); allowed keys here: {', '.join(_fields_at([]))}"
        )
    try:
        return EnvironmentSettings.model_validate({**_tuples(raw), "name": env_name})
    except ValidationError as error:
        raise ConfigError(*(_describe(env_name, item) for item in error.errors())) from None


def _tuples(value: Any) -> Any:
    """TOML arrays arrive as lists; the frozen models hold tuples."""
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


def _describe(env_name: str, item: Any) -> str:
    """One line: ``<env>.<section>.<key> = <value>: <problem>; allowed: <what>``."""
    location = [str(part) for part in item["loc"]]
    key = ".".join([env_name, *location])
    error = (item.get("ctx") or {}).get("error")
    if isinstance(error, SettingError):
        if not location or location[-1] != error.key:
            key = f"{key}.{error.key}"
        return f"{key} = {show(error.value)}: {error.detail}"
    if item["type"] == "extra_forbidden":
        fields = _fields_at(location[:-1])
        hint = aws_catalog.did_you_mean(location[-1], tuple(fields))
        return (
            f"{key} = {show(item['input'])}: unknown key; {hint}"
            f"allowed keys here: {', '.join(fields)}"
        )
    if item["type"] == "missing":
        return f"{key}: required key is missing; allowed: {_allowed_values(location)}"
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "value_error":
        return f"{key}: {message}"
    return f"{key} = {show(item['input'])}: {message[:1].lower()}{message[1:]}"


def _allowed_values(location: list[str]) -> str:
    field = _model_at(location[:-1]).model_fields.get(location[-1]) if location else None
    values = get_args(field.annotation) if field else ()
    return " or ".join(show(value) for value in values) or "see the configuration reference"


def _model_at(location: list[str]) -> type[BaseModel]:
    model: type[BaseModel] = EnvironmentSettings
    for part in location:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return model


def _fields_at(location: list[str]) -> list[str]:
    return [name for name in _model_at(location).model_fields if name != "name"]
