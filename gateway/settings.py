"""The gateway's settings: one typed object read from `CRYPTOPILOT_*` environment variables."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from envsettings import EnvSettings, SettingsError, http_url, split_words
from observability.analytics import DEFAULT_HOST as DEFAULT_POSTHOG_HOST

ENV_PREFIX = "CRYPTOPILOT_"
DEFAULT_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me"  # noqa: S105 - refused in production
Environment = Literal["development", "demo", "test", "production"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)
# A comma/space separated variable (not JSON, pydantic-settings' default for a tuple).
Words = Annotated[tuple[str, ...], NoDecode, BeforeValidator(split_words)]


class Settings(EnvSettings):
    """Everything the gateway can be told from outside; see `.env.example`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    env: Environment = Field(
        "development",
        description=(
            "development | demo | test | production; production enforces Secure cookies and secrets"
        ),
    )
    host: str = Field("127.0.0.1", description="Interface the gateway listens on")
    port: int = Field(8080, description="TCP port the gateway listens on")
    database_url: str = Field(
        "sqlite+aiosqlite:///var/cryptopilot.sqlite3",
        description=(
            "SQLAlchemy async URL: sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"
        ),
    )
    auto_migrate: bool = Field(
        True,
        description=(
            "Apply pending migrations at start-up (ignored in production: use `db upgrade`)"
        ),
    )
    jwt_secret: SecretStr = Field(
        SecretStr(DEFAULT_JWT_SECRET), description="HS256 secret for access tokens (>= 32 chars)"
    )
    access_token_ttl_seconds: int = Field(
        900, description="Lifetime of an access JWT (the UI assumes 15m)"
    )
    refresh_token_ttl_seconds: int = Field(7 * 24 * 3600, description="Lifetime of a refresh token")
    refresh_reuse_grace_seconds: int = Field(
        10,
        description=(
            "A just-rotated refresh token used again within this many seconds is a race, not theft"
        ),
    )
    bcrypt_rounds: int = Field(12, description="bcrypt cost factor for password hashes")
    cors_origins: Words = Field(
        (
            "https://crypto-pilot.dev",
            "https://www.crypto-pilot.dev",
            "https://app.crypto-pilot.dev",
            "http://localhost:5173",
            "http://localhost:5174",
            "http://localhost:3000",
        ),
        description=(
            "Comma/space separated browser origins allowed with credentials (any in development)"
        ),
    )
    trust_forwarded_for: bool = Field(
        False,
        description="Take the client IP from X-Forwarded-For (only behind a trusted reverse proxy)",
    )
    web_dir: str = Field(
        "",
        description=(
            "Folder of the built web app (web/dist) to serve at /; empty: not served (Vercel does)"
        ),
    )
    firebase_project_id: str = Field(
        "crypto-pilot-b2376", description="Firebase project of Google logins"
    )
    firebase_auth_emulator_host: str = Field(
        "",
        description=(
            "host:port of a Firebase Auth emulator (tests/dev only; accepts unsigned tokens)"
        ),
    )
    firebase_certs_url: str = Field(
        "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com",
        description="Where Google's ID-token signing certificates are fetched",
    )
    firebase_http_timeout: float = Field(
        5.0, description="Seconds before fetching certificates gives up"
    )
    rate_limit_auth: str = Field(
        "30/60", description="login/register/google-verify/logout: N per S seconds"
    )
    rate_limit_account: str = Field(
        "120/60", description="/api/account/*: N requests per S seconds"
    )
    rate_limit_admin: str = Field("120/60", description="/api/admin/*: N requests per S seconds")
    rate_limit_default: str = Field(
        "600/60", description="Other limited routes: N requests per S seconds"
    )
    redis_url: SecretStr = Field(
        SecretStr(""),
        description=(
            "Redis that counts the rate limits for every gateway replica "
            "(redis://[:PASSWORD@]HOST:PORT/DB, rediss:// or unix://); empty = in this process's "
            "memory"
        ),
    )
    login_max_failures_per_account: int = Field(
        5, description="Failed logins per account before a 429"
    )
    login_max_failures_per_ip: int = Field(
        20, description="Failed logins per client IP before a 429"
    )
    login_failure_window_seconds: int = Field(
        900, description="Window over which failed logins count"
    )
    smtp_host: str = Field("", description="SMTP server for verification e-mails; empty = log only")
    smtp_port: int = Field(587, description="SMTP port")
    smtp_username: str = Field("", description="SMTP user name (empty = no login)")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password")
    smtp_starttls: bool = Field(True, description="Use STARTTLS on the SMTP connection")
    smtp_from: str = Field(
        "Crypto-Pilot <no-reply@crypto-pilot.dev>", description="Sender of e-mails"
    )
    app_url: str = Field(
        "https://crypto-pilot.dev", description="Frontend URL used in e-mail links"
    )
    pools: Words = Field(
        (),
        description=(
            "Pools to place bots in, as ID=CONTROL_URL (comma separated); pools may also announce"
        ),
    )
    pool_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token of the pools' control APIs, also required of pool announcements",
    )
    metrics_token: SecretStr = Field(
        SecretStr(""),
        description=(
            "Bearer token Prometheus presents on /metrics and the pool discovery "
            "(/api/internal/prometheus/pools); empty = /metrics open, discovery admin-only"
        ),
    )
    pool_health_interval: float = Field(
        5.0, description="Seconds between health checks of every pool; 0 = off"
    )
    pool_timeout: float = Field(
        60.0, description="Seconds a pool control call may take (adding a bot)"
    )
    pool_read_timeout: float = Field(
        3.0,
        gt=0,
        description=(
            "Seconds a read of a pool may take (bots' summaries for the dashboard, the admin "
            "overview) before that pool's entries become errors: a pool host cut off the "
            "network must not hold up the dashboard for pool_timeout"
        ),
    )
    reconcile_interval: float = Field(
        10.0,
        description=(
            "Seconds between reconciler passes (database vs what pools run) and "
            "expired-pause checks; 0 = on demand only"
        ),
    )
    replica_id: str = Field(
        "",
        description=(
            "This gateway's name among its replicas, shown as the leader (e.g. the pod name); "
            "empty = hostname-pid-random"
        ),
    )
    leader_lease_ttl: float = Field(
        10.0,
        gt=0,
        description=(
            "Seconds a replica's lease on the leader-only loops (reconciler, pause expiry, trade "
            "monitor, snapshots) lasts; renewed every ttl/3, taken over within 4/3 ttl"
        ),
    )
    trade_monitor_interval: float = Field(
        60.0,
        description=(
            "Seconds between emergency stop and daily loss checks of every running bot "
            "(R8's monitor); 0 = off"
        ),
    )
    market_url: str = Field(
        "",
        description=(
            "Base URL of the exchange the pools' bots trade on (the sandbox's), read for "
            "BTC's price by emergency stops; empty = the BTC trigger is off"
        ),
    )
    strategy_repo: str = Field(
        "var/strategies-repo",
        description=(
            "Folder of the strategy store's git repository (created and seeded from "
            "strategies/ on first start)"
        ),
    )
    strategy_watch_interval: float = Field(
        2.0,
        description=(
            "Seconds between looks at the strategy store's HEAD (changes reach /ws/strategies "
            "and provisioning, also those made by the CLI); 0 = off"
        ),
    )
    strategy_deploy_deadline: float = Field(
        90.0,
        description=(
            "Seconds a bot may take to run a deployed strategy version and answer its API "
            "before it is rolled back to its previous version"
        ),
    )
    strategy_check_cpu_seconds: int = Field(
        60, description="CPU seconds a strategy's validation run may use"
    )
    strategy_check_memory_mb: int = Field(
        1024, description="Memory (MB) a strategy's validation run may use"
    )
    strategy_check_wall_seconds: float = Field(
        120.0, description="Wall-clock seconds a strategy's validation run may take"
    )
    bot_timeout: float = Field(
        3.0, description="Seconds one bot's REST API may take inside an aggregation"
    )
    bot_concurrency: int = Field(16, description="Most bots one aggregation calls at the same time")
    portfolio_source: Literal["summaries", "bots"] = Field(
        "summaries",
        description=(
            "Where portfolio reads (P1, P4, SSE) get bots' holdings: the summaries bots publish"
            " to their pools (one call per pool) or each bot's own FreqTrade API"
        ),
    )
    summary_max_age: float = Field(
        30.0, gt=0, description="Seconds after which a bot's published summary counts as stale"
    )
    proxy_timeout: float = Field(15.0, description="Seconds a proxied FreqTrade call may take")
    recent_read_ttl: float = Field(
        1.0,
        description=(
            "Seconds the user behind a token and a proxied bot's row may be reused "
            "instead of read again (this process's own writes show at once); 0 = read on "
            "every request"
        ),
    )
    posthog_key: SecretStr = Field(
        SecretStr(""),
        description="PostHog project API key for server-side product events; empty = off",
    )
    posthog_host: str = Field(
        DEFAULT_POSTHOG_HOST, description="PostHog ingestion host the product events are sent to"
    )
    stream_interval: float = Field(
        5.0, description="Seconds between SSE portfolio/positions pushes"
    )
    stream_ping_interval: float = Field(15.0, description="Seconds between SSE `: ping` comments")
    snapshot_interval: float = Field(
        30.0,
        description="Seconds between stored portfolio snapshots of users with active bots; 0 = off",
    )
    starting_balance: int = Field(1000, description="Paper USD in a new user's wallet")
    max_wallet_size: int = Field(
        100000, description="Largest wallet balance a deposit may reach (USD)"
    )
    max_bots_per_user: int = Field(3, description="Most bots one user may have (the UI assumes 3)")
    log_level: str = Field("INFO", description="Root log level")
    log_json: bool = Field(False, description="JSON log lines (use in production)")

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @field_validator(
        "rate_limit_auth", "rate_limit_account", "rate_limit_admin", "rate_limit_default"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url and url.partition("://")[0] not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL (or empty: in memory)")
        return value

    @field_validator("market_url", "posthog_host")
    @classmethod
    def _market_url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("pools")
    @classmethod
    def _pools(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            _pool_entry(entry)
        return value

    @model_validator(mode="after")
    def _safe(self) -> Settings:
        """Refuse combinations that are unsafe or meaningless."""
        if self.pools and not self.pool_token.get_secret_value():
            raise ValueError(f"pools are configured but {ENV_PREFIX}POOL_TOKEN is empty")
        if self.is_production:
            secret = self.jwt_secret.get_secret_value()
            if secret == DEFAULT_JWT_SECRET or len(secret) < 32:
                raise ValueError(
                    f"production needs {ENV_PREFIX}JWT_SECRET set to a private value of >= 32 chars"
                )
            if self.firebase_auth_emulator_host:
                raise ValueError(
                    f"the Firebase Auth emulator ({ENV_PREFIX}FIREBASE_AUTH_EMULATOR_HOST) "
                    "must not be used in production"
                )
        return self

    def pool_entries(self) -> list[tuple[str, str]]:
        """`pools` parsed into (pool id, control URL) pairs."""
        return [_pool_entry(entry) for entry in self.pools]


def _pool_entry(entry: str) -> tuple[str, str]:
    pool_id, sep, url = entry.partition("=")
    if not sep or not pool_id or not url.startswith(("http://", "https://")):
        raise ValueError(f"pool {entry!r} is not ID=http://HOST:PORT")
    return pool_id, url.rstrip("/")


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
