"""How a bad setting is reported: one line naming the key, the value and what is allowed."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """The environment configuration is invalid; each line of the message is one problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class SettingError(ValueError):
    """One bad setting: ``key = value: problem; allowed: ...``.

    ``key`` is relative to the model that raises it (the field's own name for a field
    validator); ``_describe`` prefixes the environment and the section.
    """

    def __init__(self, key: str, value: Any, problem: str, allowed: str, hint: str = "") -> None:
        self.key = key
        self.value = value
        self.detail = f"{problem}; {hint}allowed: {allowed}"
        super().__init__(f"{key} = {show(value)}: {self.detail}")


def show(value: Any) -> str:
    """A value as the user wrote it (TOML arrays arrive here as tuples)."""
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


def _one_of(values: Any) -> str:
    return ", ".join(show(value) for value in values)
