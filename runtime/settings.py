"""Pool settings: one typed object, each field with a default and a description.

Read from environment variables prefixed `CRYPTOPILOT_POOL_` (e.g. `CRYPTOPILOT_POOL_TOKEN`),
overridable by `cryptopilot pool run` options generated from the same fields.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from envsettings import EnvSettings, SettingsError, http_url
from observability.analytics import DEFAULT_HOST as DEFAULT_POSTHOG_HOST

ENV_PREFIX = "CRYPTOPILOT_POOL_"
DEFAULT_POOL_ID = "pool-1"
DEFAULT_EXCHANGE = "binance"
SYNC_DRIVERS = ("postgresql+asyncpg://", "sqlite+aiosqlite://")
# Variables that changed name: refused with the new name rather than ignored.
RENAMED = {"JSON_LOGS": "LOG_JSON"}
TURSO_SCHEMES = ("libsql://", "https://", "http://", "wss://", "ws://")


class PoolSettings(EnvSettings):
    """How one pool supervisor runs."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    pool_id: str = Field(
        DEFAULT_POOL_ID, description="Name of this pool (shown in health and metrics)."
    )
    data_dir: Path = Field(
        Path("var/pools") / DEFAULT_POOL_ID,
        description="Folder for pool.json and one folder per bot (default var/pools/POOL_ID).",
    )
    control_host: str = Field("127.0.0.1", description="Interface of the control (RPC) API.")
    control_port: int = Field(18080, description="Port of the control (RPC) API.")
    api_port_min: int = Field(18100, description="First port of the range handed to bots' APIs.")
    api_port_max: int = Field(18199, description="Last port of the range handed to bots' APIs.")
    capacity: int = Field(10, description="Most bots this pool holds.")
    token: SecretStr = Field(
        SecretStr(""), description="Shared secret for `Authorization: Bearer` on the control API."
    )
    exchange_name: str = Field(
        DEFAULT_EXCHANGE,
        description="ccxt id of the exchange the bots trade on (FreqTrade's name).",
    )
    exchange_url: str = Field(
        "http://127.0.0.1:18070",
        description="Base URL every ccxt API URL of the exchange is pointed at (the sandbox's).",
    )
    exchange_override_urls: bool = Field(
        True,
        description="Point the exchange's ccxt URLs at exchange_url; false = its real hosts.",
    )
    markets_ttl: float = Field(
        300.0, description="Seconds the exchange's market list is kept before it is read again."
    )
    backoff_base: float = Field(
        0.5, description="First delay (s) before restarting a crashed bot; doubles."
    )
    backoff_max: float = Field(30.0, description="Longest delay (s) between restarts.")
    crash_window: float = Field(60.0, description="Window (s) in which crashes count as fatal.")
    max_crashes: int = Field(5, description="Crashes within the window after which a bot is fatal.")
    stop_grace: float = Field(
        10.0, description="Seconds between SIGTERM and SIGKILL when stopping a bot."
    )
    bot_nice: int = Field(
        5,
        ge=0,
        le=19,
        description=(
            "Nice value a bot takes after its first loop pass, so starting bots and the "
            "supervisor go first (0 = keep the pool's)."
        ),
    )
    ksm: bool = Field(
        True,
        description=(
            "Make the bots' memory mergeable by the kernel's same-page merging (Linux 6.4+); "
            "it merges only where the host runs ksmd (/sys/kernel/mm/ksm/run = 1)."
        ),
    )
    start_timeout: float = Field(
        120.0, description="Seconds a bot's API may take to answer before a restart."
    )
    stall_factor: float = Field(
        6.0,
        gt=0,
        description="Throttle periods without a loop pass after which a running bot is stalled.",
    )
    stall_min_seconds: float = Field(
        60.0, gt=0, description="...but never before this many seconds without a loop pass."
    )
    stall_grace_seconds: float = Field(
        30.0, ge=0, description="Seconds a stalled bot gets to recover before it is restarted."
    )
    stall_check_seconds: float = Field(
        1.0, gt=0, description="How often the watchdog reads the bots' heartbeats."
    )
    gateway_url: str = Field(
        "", description="Gateway to announce this pool to (empty = do not announce)."
    )
    public_url: str = Field(
        "",
        description="Control URL the gateway should use (default http://control_host:control_port).",
    )
    bot_api_route: Literal["auto", "direct", "pool"] = Field(
        "auto",
        description=(
            "How the bots' API URLs are reported: direct = http://127.0.0.1:PORT (gateway on this "
            "host), pool = through the control port (CONTROL_URL/bots/ID), auto = pool when "
            "public_url is set or control_host is not loopback."
        ),
    )
    host_label: str = Field(
        "", description="Name of the host shown by the gateway (default the hostname)."
    )
    announce_interval: float = Field(30.0, description="Seconds between announcements.")
    sync_database_url: SecretStr = Field(
        SecretStr(""),
        description=(
            "SQLAlchemy async URL the pool copies its bots' trades into (the gateway's "
            "database); empty = off."
        ),
    )
    sync_interval: float = Field(15.0, description="Seconds between two trade-sync passes (<= 30).")
    turso_url: str = Field(
        "",
        description="libsql://... or http://... of the bots' Turso backup database; empty = off.",
    )
    turso_auth_token: SecretStr = Field(
        SecretStr(""), description="Auth token of the Turso backup database."
    )
    turso_interval: float = Field(30.0, description="Seconds between two backup passes of a bot.")
    memory_limit_bytes: int = Field(
        0,
        ge=0,
        description=(
            "Memory limit of the pool reported to Prometheus when its cgroup sets none (0 = unset)."
        ),
    )
    posthog_key: SecretStr = Field(
        SecretStr(""),
        description=(
            "PostHog project key for the bots' events (crashes, stalls, closed trades); "
            "empty = off."
        ),
    )
    posthog_host: str = Field(
        DEFAULT_POSTHOG_HOST, description="PostHog ingestion host the events are sent to."
    )
    log_level: str = Field(
        "INFO", description="Log level of the supervisor (bots log at FreqTrade's INFO)."
    )
    log_json: bool = Field(
        False, description="JSON log lines (supervisor and bots' files; use in production)."
    )
    bot_log_max_bytes: int = Field(
        10 * 1024 * 1024, description="Size at which a bot's logs/freqtrade.log is rotated."
    )
    bot_log_backups: int = Field(
        3, description="Rotated files kept per bot (freqtrade.log.1 ... .N)."
    )

    @model_validator(mode="before")
    @classmethod
    def _data_dir_follows_pool_id(cls, values: Any) -> Any:
        if isinstance(values, dict) and "data_dir" not in values and "pool_id" in values:
            return {**values, "data_dir": Path("var/pools") / str(values["pool_id"])}
        return values

    @field_validator("exchange_name")
    @classmethod
    def _ccxt_id(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError("is not a ccxt exchange id (like binance or kraken)")
        return value

    @field_validator("gateway_url", "public_url", "exchange_url", "posthog_host")
    @classmethod
    def _http(cls, value: str) -> str:
        return http_url(value)

    @field_validator("sync_database_url")
    @classmethod
    def _sync_driver(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url and not url.startswith(SYNC_DRIVERS):
            raise ValueError(f"must start with one of {', '.join(SYNC_DRIVERS)}")
        return value

    @field_validator("turso_url")
    @classmethod
    def _turso_scheme(cls, value: str) -> str:
        if value and not value.startswith(TURSO_SCHEMES):
            raise ValueError(f"must start with one of {', '.join(TURSO_SCHEMES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PoolSettings:
        """Refuse combinations that cannot work; each message names the variables."""
        name = self.env_name
        if not 0 < self.api_port_min <= self.api_port_max < 65536:
            raise ValueError(f"{name('api_port_min')}..{name('api_port_max')} is no port range")
        if self.capacity < 1:
            raise ValueError(f"{name('capacity')} must be at least 1")
        if self.capacity > self.api_port_max - self.api_port_min + 1:
            raise ValueError(
                f"the API port range is smaller than the capacity ({name('capacity')})"
            )
        if self.exchange_override_urls and not self.exchange_url:
            raise ValueError(
                f"{name('exchange_override_urls')} needs {name('exchange_url')} (or set it false)"
            )
        if self.gateway_url and self.announce_interval <= 0:
            raise ValueError(f"{name('announce_interval')} must be positive")
        if self.sync_database_url.get_secret_value() and not 0 < self.sync_interval <= 30:
            raise ValueError(f"{name('sync_interval')} must be more than 0 and at most 30 seconds")
        if self.bot_log_max_bytes < 4096 or self.bot_log_backups < 1:
            raise ValueError(
                f"{name('bot_log_max_bytes')} must be at least 4096 and "
                f"{name('bot_log_backups')} at least 1"
            )
        if self.turso_url and self.turso_interval <= 0:
            raise ValueError(f"{name('turso_interval')} must be positive")
        return self

    def require_token(self) -> None:
        """Refuse to run a control API anyone could call (other commands need no token)."""
        if not self.token.get_secret_value():
            raise SettingsError(f"a control token is required (--token or {ENV_PREFIX}TOKEN)")


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> PoolSettings:
    """Defaults, then `CRYPTOPILOT_POOL_*` variables, then explicit (non-None) overrides."""
    env = os.environ if environ is None else environ
    for old, new in RENAMED.items():
        if ENV_PREFIX + old in env:
            # Ignoring it would silently turn a production pool's JSON logs into text.
            raise SettingsError(f"{ENV_PREFIX}{old} was renamed {ENV_PREFIX}{new}")
    return PoolSettings.from_env(environ, **(overrides or {}))
