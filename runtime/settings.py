"""Pool settings: one typed object, each field with a default and a description.

Read from environment variables prefixed `CRYPTOPILOT_POOL_` (e.g. `CRYPTOPILOT_POOL_TOKEN`),
overridable by `cryptopilot pool run` options generated from the same fields.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "CRYPTOPILOT_POOL_"
SECRET_FIELDS = frozenset({"token", "sync_database_url", "turso_auth_token"})
SYNC_DRIVERS = ("postgresql+asyncpg://", "sqlite+aiosqlite://")
TURSO_SCHEMES = ("libsql://", "https://", "http://", "wss://", "ws://")


def _f(default: Any, help_text: str) -> Any:
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class PoolSettings:
    """How one pool supervisor runs."""

    pool_id: str = _f("pool-1", "Name of this pool (shown in health and metrics).")
    data_dir: Path = _f(Path("var/pools/pool-1"), "Folder for pool.json and one folder per bot.")
    control_host: str = _f("127.0.0.1", "Interface of the control (RPC) API.")
    control_port: int = _f(18080, "Port of the control (RPC) API.")
    api_port_min: int = _f(18100, "First port of the range handed to bots' REST APIs.")
    api_port_max: int = _f(18199, "Last port of the range handed to bots' REST APIs.")
    capacity: int = _f(10, "Most bots this pool holds.")
    token: str = _f("", "Shared secret for `Authorization: Bearer` on the control API.")
    exchange_url: str = _f("http://127.0.0.1:18070", "Base URL of the sandbox exchange.")
    backoff_base: float = _f(0.5, "First delay (s) before restarting a crashed bot; doubles.")
    backoff_max: float = _f(30.0, "Longest delay (s) between restarts.")
    crash_window: float = _f(60.0, "Window (s) in which crashes count towards fatal.")
    max_crashes: int = _f(5, "Crashes within the window after which a bot goes fatal.")
    stop_grace: float = _f(10.0, "Seconds between SIGTERM and SIGKILL when stopping a bot.")
    start_timeout: float = _f(120.0, "Seconds a bot's API may take to answer before a restart.")
    gateway_url: str = _f("", "Gateway to announce this pool to (empty = do not announce).")
    public_url: str = _f(
        "", "Control URL the gateway should use (default http://control_host:control_port)."
    )
    host_label: str = _f("", "Name of the host shown by the gateway (default the hostname).")
    announce_interval: float = _f(30.0, "Seconds between announcements to the gateway.")
    sync_database_url: str = _f(
        "",
        "SQLAlchemy async URL the pool copies its bots' trades into (the gateway's database);"
        " empty = off.",
    )
    sync_interval: float = _f(15.0, "Seconds between two trade-sync passes (at most 30).")
    turso_url: str = _f(
        "", "libsql://... or http://... of the Turso backup database of the bots; empty = off."
    )
    turso_auth_token: str = _f("", "Auth token of the Turso backup database.")
    turso_interval: float = _f(30.0, "Seconds between two backup passes of a bot.")
    log_level: str = _f("INFO", "Log level of the supervisor.")
    json_logs: bool = _f(False, "Log JSON lines instead of text.")

    def validate(self) -> None:
        """Raise ValueError on settings that cannot work."""
        if not self.token:
            raise ValueError(f"a control token is required (--token or {ENV_PREFIX}TOKEN)")
        if not 0 < self.api_port_min <= self.api_port_max < 65536:
            raise ValueError("api_port_min..api_port_max is not a valid port range")
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        if self.capacity > self.api_port_max - self.api_port_min + 1:
            raise ValueError("the API port range is smaller than the capacity")
        for name in ("gateway_url", "public_url"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name} must start with http:// or https://")
        if self.gateway_url and self.announce_interval <= 0:
            raise ValueError("announce_interval must be positive")
        if self.sync_database_url and not self.sync_database_url.startswith(SYNC_DRIVERS):
            raise ValueError(f"sync_database_url must start with one of {', '.join(SYNC_DRIVERS)}")
        if self.sync_database_url and not 0 < self.sync_interval <= 30:
            raise ValueError("sync_interval must be more than 0 and at most 30 seconds")
        if self.turso_url and not self.turso_url.startswith(TURSO_SCHEMES):
            raise ValueError(f"turso_url must start with one of {', '.join(TURSO_SCHEMES)}")
        if self.turso_url and self.turso_interval <= 0:
            raise ValueError("turso_interval must be positive")

    def masked(self) -> dict[str, str]:
        """Every setting as text, secrets masked: for logs and `--print-settings`."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.name in SECRET_FIELDS and value else str(value)
        return out


def _convert(kind: Any, raw: str) -> Any:
    if kind in (bool, "bool"):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    if kind in (Path, "Path"):
        return Path(raw)
    return raw


def field_types() -> dict[str, Any]:
    """Field name -> the type its text converts to."""
    return {f.name: f.type for f in dataclasses.fields(PoolSettings)}


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> PoolSettings:
    """Defaults, then `CRYPTOPILOT_POOL_*` variables, then explicit (non-None) overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, kind in field_types().items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _convert(kind, raw)
    kinds = field_types()
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _convert(kinds[name], value) if isinstance(value, str) else value
    settings = PoolSettings(**values)
    if "data_dir" not in values and settings.pool_id != "pool-1":
        settings = dataclasses.replace(settings, data_dir=Path("var/pools") / settings.pool_id)
    return settings
