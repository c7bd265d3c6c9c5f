"""The one settings mechanism of gateway, pool and sandbox: pydantic-settings classes.

Each part has one `EnvSettings` subclass with its environment prefix (`CRYPTOPILOT_`,
`CRYPTOPILOT_POOL_`, `CRYPTOPILOT_SANDBOX_`) and, per field, a default and a one-line
`Field(description=...)`. Secrets are `SecretStr`. Keyword construction (`PoolSettings(...)`
in tests) takes defaults and keywords only; `from_env()` adds the environment. Every bad
value is a `SettingsError` whose message names the environment variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Self

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

__all__ = ["EnvSettings", "SettingsError", "http_url", "split_words"]


class SettingsError(ValueError):
    """A setting is malformed, missing or unsafe; the message names its variable."""


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


class EnvSettings(BaseSettings):
    """Base of the three settings classes: frozen, typed, errors that name the variable."""

    # Subclasses set `model_config = SettingsConfigDict(env_prefix=..., frozen=True,
    # extra="forbid")`; the prefix is also how error messages name a field.

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(self._explain(exc)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only keywords: the environment comes in through `from_env`, so a test's
        # `PoolSettings(...)` never picks up the developer's CRYPTOPILOT_* variables.
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Defaults, then `<prefix><FIELD>` variables, then the non-None `overrides`."""
        values = _MappingEnvSource(cls, os.environ if environ is None else environ)()
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values)

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable of a field, e.g. `port` -> `CRYPTOPILOT_PORT`."""
        return str(cls.model_config.get("env_prefix", "")) + field.upper()

    @classmethod
    def _explain(cls, exc: ValidationError) -> str:
        """pydantic's errors as one line, each naming the variable (secrets not echoed)."""
        parts = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if not error["loc"]:  # a check across fields: its message names the variables
                parts.append(message)
                continue
            field = str(error["loc"][0])
            info = cls.model_fields.get(field)
            secret = info is not None and info.annotation is SecretStr
            shown = "" if secret else f"={_as_text(error.get('input'))!r}"
            parts.append(f"{cls.env_name(field)}{shown}: {message}")
        return "; ".join(parts)

    def masked(self) -> dict[str, str]:
        """Every setting as printable text, secrets replaced by `***` (or `(empty)`)."""
        shown = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if info.annotation is SecretStr:
                shown[name] = "***" if _as_text(value) else "(empty)"
            else:
                shown[name] = _as_text(value)
        return shown

    @classmethod
    def env_rows(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default as text, description) per field; secrets empty."""
        defaults = cls()
        rows = []
        for name, info in cls.model_fields.items():
            secret = info.annotation is SecretStr
            default = "" if secret else _as_text(getattr(defaults, name))
            rows.append((cls.env_name(name), default, info.description or ""))
        return rows


def _as_text(value: Any) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, tuple | list):
        return ",".join(str(part) for part in value)
    return str(value)


def split_words(value: Any) -> Any:
    """A comma/space separated variable as a tuple; other values unchanged (validator)."""
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    return value


def http_url(value: str) -> str:
    """An empty or `http(s)://...` URL unchanged; anything else refused (validator)."""
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value
