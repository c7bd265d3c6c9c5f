"""Typed settings of the sandbox exchange, read from `CRYPTOPILOT_SANDBOX_*` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from envsettings import EnvSettings

ENV_PREFIX = "CRYPTOPILOT_SANDBOX_"


class SandboxSettings(EnvSettings):
    """Where the sandbox listens and how its market moves."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Interface the sandbox exchange listens on")
    port: int = Field(8090, description="TCP port the sandbox exchange listens on")
    seed: int = Field(42, description="Seed of every price path")
    volatility: float = Field(0.004, description="Standard deviation of a 1-minute log return")
    markets: int = Field(
        0,
        ge=0,
        description=(
            "Spot markets listed in all: above the 36 regular ones, deterministic extra USDT "
            "markets (2000 is Binance-sized); 0 = the regular ones only"
        ),
    )
    log_level: str = Field("INFO", description="Root log level")
    log_json: bool = Field(False, description="JSON log lines (use in production)")

    def describe(self) -> str:
        """One line for the start-up log (nothing here is secret)."""
        return ", ".join(f"{name}={value}" for name, value in self.masked().items())
