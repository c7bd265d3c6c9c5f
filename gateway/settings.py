"""The gateway's settings: one typed object read from `CRYPTOPILOT_*` environment variables."""

from __future__ import annotations

import dataclasses
import os
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin, get_type_hints

ENV_PREFIX = "CRYPTOPILOT_"
DEFAULT_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me"  # noqa: S105 - refused in production
Environment = Literal["development", "demo", "test", "production"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe for the chosen environment."""


def _setting(default: Any, description: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"description": description, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """Everything the gateway can be told from outside; see `.env.example`."""

    env: str = _setting(
        "development",
        "development | demo | test | production; production enforces Secure cookies and secrets",
    )
    host: str = _setting("127.0.0.1", "Interface the gateway listens on")
    port: int = _setting(8080, "TCP port the gateway listens on")
    database_url: str = _setting(
        "sqlite+aiosqlite:///var/cryptopilot.sqlite3",
        "SQLAlchemy async URL: sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB",
    )
    auto_migrate: bool = _setting(
        True, "Apply pending migrations at start-up (ignored in production: use `db upgrade`)"
    )
    jwt_secret: str = _setting(
        DEFAULT_JWT_SECRET, "HS256 secret for access tokens (>= 32 chars)", secret=True
    )
    access_token_ttl_seconds: int = _setting(900, "Lifetime of an access JWT (the UI assumes 15m)")
    refresh_token_ttl_seconds: int = _setting(7 * 24 * 3600, "Lifetime of a refresh token")
    refresh_reuse_grace_seconds: int = _setting(
        10, "A just-rotated refresh token used again within this many seconds is a race, not theft"
    )
    bcrypt_rounds: int = _setting(12, "bcrypt cost factor for password hashes")
    cors_origins: tuple[str, ...] = _setting(
        (
            "https://crypto-pilot.dev",
            "https://www.crypto-pilot.dev",
            "https://app.crypto-pilot.dev",
            "http://localhost:5173",
            "http://localhost:5174",
            "http://localhost:3000",
        ),
        "Comma/space separated browser origins allowed with credentials (any in development)",
    )
    trust_forwarded_for: bool = _setting(
        False, "Take the client IP from X-Forwarded-For (only behind a trusted reverse proxy)"
    )
    firebase_project_id: str = _setting("crypto-pilot-b2376", "Firebase project of Google logins")
    firebase_auth_emulator_host: str = _setting(
        "", "host:port of a Firebase Auth emulator (tests/dev only; accepts unsigned tokens)"
    )
    firebase_certs_url: str = _setting(
        "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com",
        "Where Google's ID-token signing certificates are fetched",
    )
    firebase_http_timeout: float = _setting(5.0, "Seconds before fetching certificates gives up")
    rate_limit_auth: str = _setting("30/60", "login/register/google-verify/logout: N per S seconds")
    rate_limit_account: str = _setting("120/60", "/api/account/*: N requests per S seconds")
    rate_limit_admin: str = _setting("120/60", "/api/admin/*: N requests per S seconds")
    rate_limit_default: str = _setting("600/60", "Other limited routes: N requests per S seconds")
    login_max_failures_per_account: int = _setting(5, "Failed logins per account before a 429")
    login_max_failures_per_ip: int = _setting(20, "Failed logins per client IP before a 429")
    login_failure_window_seconds: int = _setting(900, "Window over which failed logins count")
    smtp_host: str = _setting("", "SMTP server for verification e-mails; empty = log only")
    smtp_port: int = _setting(587, "SMTP port")
    smtp_username: str = _setting("", "SMTP user name (empty = no login)")
    smtp_password: str = _setting("", "SMTP password", secret=True)
    smtp_starttls: bool = _setting(True, "Use STARTTLS on the SMTP connection")
    smtp_from: str = _setting("Crypto-Pilot <no-reply@crypto-pilot.dev>", "Sender of e-mails")
    app_url: str = _setting("https://crypto-pilot.dev", "Frontend URL used in e-mail links")
    pools: tuple[str, ...] = _setting(
        (), "Pools to place bots in, as ID=CONTROL_URL (comma separated); pools may also announce"
    )
    pool_token: str = _setting(
        "",
        "Bearer token of the pools' control APIs, also required of pool announcements",
        secret=True,
    )
    pool_health_interval: float = _setting(
        5.0, "Seconds between health checks of every pool; 0 = off"
    )
    pool_timeout: float = _setting(60.0, "Seconds a pool control call may take (adding a bot)")
    reconcile_interval: float = _setting(
        10.0,
        "Seconds between reconciler passes (database vs what pools run) and expired-pause "
        "checks; 0 = on demand only",
    )
    trade_monitor_interval: float = _setting(
        60.0,
        "Seconds between emergency stop and daily loss checks of every running bot (R8's "
        "monitor); 0 = off",
    )
    market_url: str = _setting(
        "",
        "Base URL of the exchange the pools' bots trade on (the sandbox's), read for BTC's price "
        "by emergency stops; empty = the BTC trigger is off",
    )
    bot_timeout: float = _setting(3.0, "Seconds one bot's REST API may take inside an aggregation")
    bot_concurrency: int = _setting(16, "Most bots one aggregation calls at the same time")
    proxy_timeout: float = _setting(15.0, "Seconds a proxied FreqTrade call may take")
    recent_read_ttl: float = _setting(
        1.0,
        "Seconds the user behind a token and a proxied bot's row may be reused instead of read "
        "again (this process's own writes show at once); 0 = read on every request",
    )
    stream_interval: float = _setting(5.0, "Seconds between SSE portfolio/positions pushes")
    stream_ping_interval: float = _setting(15.0, "Seconds between SSE `: ping` comments")
    snapshot_interval: float = _setting(
        30.0, "Seconds between stored portfolio snapshots of users with active bots; 0 = off"
    )
    starting_balance: int = _setting(1000, "Paper USD in a new user's wallet")
    max_wallet_size: int = _setting(100000, "Largest wallet balance a deposit may reach (USD)")
    max_bots_per_user: int = _setting(3, "Most bots one user may have (the UI assumes 3)")
    log_level: str = _setting("INFO", "Root log level")
    log_json: bool = _setting(False, "JSON log lines (use in production)")

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from `CRYPTOPILOT_<FIELD>`; `overrides` win over the environment."""
        source = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = source.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, hints[f.name], raw)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse combinations that are unsafe or meaningless; raises SettingsError."""
        if self.env not in ENVIRONMENTS:
            raise SettingsError(f"env must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}")
        for name in (
            "rate_limit_auth",
            "rate_limit_account",
            "rate_limit_admin",
            "rate_limit_default",
        ):
            parse_rate(getattr(self, name))
        self.pool_entries()
        if self.market_url and not self.market_url.startswith(("http://", "https://")):
            raise SettingsError(f"market URL {self.market_url!r} is not http(s)://HOST:PORT")
        if self.is_production:
            if self.jwt_secret == DEFAULT_JWT_SECRET or len(self.jwt_secret) < 32:
                raise SettingsError(
                    "production needs CRYPTOPILOT_JWT_SECRET set to a private value of >= 32 chars"
                )
            if self.firebase_auth_emulator_host:
                raise SettingsError("the Firebase Auth emulator must not be used in production")

    def pool_entries(self) -> list[tuple[str, str]]:
        """`pools` parsed into (pool id, control URL) pairs; raises SettingsError."""
        entries = []
        for entry in self.pools:
            pool_id, sep, url = entry.partition("=")
            if not sep or not pool_id or not url.startswith(("http://", "https://")):
                raise SettingsError(f"pool {entry!r} is not ID=http://HOST:PORT")
            entries.append((pool_id, url.rstrip("/")))
        if entries and not self.pool_token:
            raise SettingsError("pools are configured but CRYPTOPILOT_POOL_TOKEN is empty")
        return entries

    def masked(self) -> dict[str, str]:
        """Every setting as printable text, secrets replaced by `***` (or `(empty)`)."""
        shown: dict[str, str] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("secret"):
                shown[f.name] = "***" if value else "(empty)"
            elif isinstance(value, tuple):
                shown[f.name] = ",".join(value)
            else:
                shown[f.name] = str(value)
        return shown


def describe_fields() -> list[tuple[str, str, str]]:
    """(environment variable, default as text, description) for every setting."""
    defaults = Settings()
    rows = []
    for f in dataclasses.fields(Settings):
        default = getattr(defaults, f.name)
        text = ",".join(default) if isinstance(default, tuple) else str(default)
        if f.metadata.get("secret"):
            text = ""
        rows.append((ENV_PREFIX + f.name.upper(), text, str(f.metadata["description"])))
    return rows


def parse_rate(text: str) -> tuple[int, int]:
    """Parse a rate limit `N/S` (N requests per S seconds) into (N, S)."""
    count, _, seconds = text.partition("/")
    try:
        parsed = int(count), int(seconds)
    except ValueError:
        raise SettingsError(f"rate limit {text!r} is not N/SECONDS") from None
    if parsed[0] < 1 or parsed[1] < 1:
        raise SettingsError(f"rate limit {text!r} must be positive")
    return parsed


def _parse(name: str, hint: Any, raw: str) -> Any:
    try:
        if hint is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if hint is int:
            return int(raw)
        if hint is float:
            return float(raw)
        if get_origin(hint) is tuple:
            return tuple(part for part in raw.replace(",", " ").split() if part)
        if hint is str or isinstance(hint, types.UnionType):
            return raw
    except ValueError:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {hint}") from None
    raise SettingsError(f"unsupported setting type for {name}: {hint}")
