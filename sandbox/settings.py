"""Typed settings of the sandbox exchange, read from `CRYPTOPILOT_SANDBOX_*` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

ENV_PREFIX = "CRYPTOPILOT_SANDBOX_"


@dataclass(frozen=True)
class SandboxSettings:
    """Where the sandbox listens and how its market moves."""

    host: str = field(default="127.0.0.1", metadata={"help": "interface to listen on"})
    port: int = field(default=8090, metadata={"help": "TCP port to listen on"})
    seed: int = field(default=42, metadata={"help": "seed of every price path"})
    volatility: float = field(
        default=0.004, metadata={"help": "standard deviation of a 1-minute log return"}
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxSettings:
        """Defaults overridden by `CRYPTOPILOT_SANDBOX_<FIELD>` variables (e.g. `..._PORT`)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = env.get(ENV_PREFIX + spec.name.upper())
            if raw is not None:
                kind = type(getattr(cls(), spec.name))
                try:
                    values[spec.name] = kind(raw)
                except ValueError:
                    raise ValueError(
                        f"{ENV_PREFIX}{spec.name.upper()}={raw!r} is not a valid {kind.__name__}"
                    ) from None
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> SandboxSettings:
        """A copy with the given fields replaced; `None` values are ignored."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def describe(self) -> str:
        """One line per setting for the start-up log (nothing here is secret)."""
        return ", ".join(f"{spec.name}={getattr(self, spec.name)}" for spec in fields(self))
