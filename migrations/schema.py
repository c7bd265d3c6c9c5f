"""The relational schema: SQLAlchemy Core tables of the database the gateway and pools share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DOUBLE_PRECISION,
    REAL,
    TIMESTAMP,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, zone-less UTC `TIMESTAMP` in the database."""

    impl = TIMESTAMP(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text, e.g. from a migration's own INSERT
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)  # noqa: S101 - the column type guarantees it
        return value.replace(tzinfo=UTC)


metadata = MetaData()
# Bare SQL literals as defaults (a Python string would render quoted: '0', 'false').
ZERO = text("0")
FALSE = text("FALSE")
TRUE = text("TRUE")

roles = Table(
    "roles",
    metadata,
    Column("name", Text, primary_key=True),
    Column("description", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("username", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("avatar", Text, nullable=False, server_default=""),
    Column("password_hash", Text, nullable=True),
    Column("auth_provider", Text, nullable=False),
    Column("firebase_uid", Text, nullable=True, unique=True),
    Column("role", Text, ForeignKey("roles.name"), nullable=False, server_default="user"),
    Column("email_verified", Boolean, nullable=False, server_default=FALSE),
    Column("timezone", Text, nullable=False, server_default="UTC"),
    Column("preferred_currency", Text, nullable=False, server_default="USD"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_login", UtcDateTime, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_active", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revoked_reason", Text, nullable=True),
    Column("user_agent", Text, nullable=False, server_default=""),
    Column("device", Text, nullable=False, server_default=""),
    Column("browser", Text, nullable=False, server_default=""),
    Column("ip", Text, nullable=False, server_default=""),
    Index("sessions_user_id_idx", "user_id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("session_id", Text, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("rotated_at", UtcDateTime, nullable=True),
    Index("refresh_tokens_session_id_idx", "session_id"),
)

notification_settings = Table(
    "notification_settings",
    metadata,
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("trade_alerts", Boolean, nullable=False, server_default=TRUE),
    Column("daily_summary", Boolean, nullable=False, server_default=TRUE),
    Column("bot_errors", Boolean, nullable=False, server_default=TRUE),
    Column("push_notifications", Boolean, nullable=False, server_default=FALSE),
    Column("frequency", Text, nullable=False, server_default="instant"),
    Column("updated_at", UtcDateTime, nullable=False),
)

email_verifications = Table(
    "email_verifications",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("delivery", Text, nullable=False),
    Index("email_verifications_user_id_idx", "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Text, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("event", Text, nullable=False),
    Column("user_id", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("ip", Text, nullable=True),
    Column("request_id", Text, nullable=True),
    Column("detail", Text, nullable=False, server_default=""),
    Index("audit_log_event_email_at_idx", "event", "email", "at"),
    Index("audit_log_event_ip_at_idx", "event", "ip", "at"),
    Index("audit_log_user_id_idx", "user_id"),
)

pools = Table(
    "pools",
    metadata,
    Column("id", Text, primary_key=True),
    Column("control_url", Text, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("host_label", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="unknown"),
    Column("bots_reported", Integer, nullable=False, server_default=ZERO),
    Column("memory_mb", REAL, nullable=True),
    Column("cpu_percent", REAL, nullable=True),
    Column("last_seen", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("source IN ('settings', 'announced')"),
    CheckConstraint("status IN ('unknown', 'healthy', 'degraded', 'unreachable', 'draining')"),
)

bots = Table(
    "bots",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("pool_id", Text, ForeignKey("pools.id"), nullable=True),
    Column("strategy", Text, nullable=False),
    Column("exchange", Text, nullable=False),
    Column("stake_currency", Text, nullable=False),
    Column("stake_amount", Text, nullable=False),
    Column("max_open_trades", Integer, nullable=False),
    Column("timeframe", Text, nullable=False),
    Column("pairs", Text, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("wallet_cents", BigInteger, nullable=False),
    Column("desired_state", Text, nullable=False),
    Column("observed_state", Text, nullable=False, server_default="unknown"),
    Column("status_message", Text, nullable=False, server_default=""),
    Column("api_url", Text, nullable=True),
    Column("api_username", Text, nullable=True),
    Column("api_port", Integer, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=True),
    # The store version the bot runs (docs/strategies.md); NULL: the shipped strategies/ folder.
    Column("strategy_commit", Text, nullable=True),
    Column("strategy_version", Integer, nullable=True),
    # How often the pool restarted the bot after it exited (its count, since the pool started).
    Column("restarts", Integer, nullable=False, server_default=ZERO),
    CheckConstraint("desired_state IN ('provisioning', 'running', 'stopped', 'deleting')"),
    Index("bots_user_id_idx", "user_id"),
    Index("bots_pool_id_idx", "pool_id"),
)

# The store version new bots of a strategy get; without a row, its latest published version.
strategy_defaults = Table(
    "strategy_defaults",
    metadata,
    Column("strategy", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("commit", Text, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("version >= 1"),
)

wallets = Table(
    "wallets",
    metadata,
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("currency", Text, nullable=False, server_default="USD"),
    Column("balance_cents", BigInteger, nullable=False),
    Column("deposited_cents", BigInteger, nullable=False, server_default=ZERO),
    Column("withdrawn_cents", BigInteger, nullable=False, server_default=ZERO),
    Column("realised_pnl_cents", BigInteger, nullable=False, server_default=ZERO),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("balance_cents >= 0"),
)

wallet_allocations = Table(
    "wallet_allocations",
    metadata,
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("bot_id", Text, primary_key=True),
    Column("bot_name", Text, nullable=False),
    Column("allocated_cents", BigInteger, nullable=False),
    Column("current_value_cents", BigInteger, nullable=False),
    Column("reserved_cents", BigInteger, nullable=False, server_default=ZERO),
    Column("lifetime_pnl_cents", BigInteger, nullable=False, server_default=ZERO),
    Column("allocated_at", UtcDateTime, nullable=False),
    Column("valued_at", UtcDateTime, nullable=True),
    CheckConstraint("allocated_cents >= 0"),
)

wallet_transactions = Table(
    "wallet_transactions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", Text, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("bot_id", Text, nullable=True),
    Column("bot_name", Text, nullable=True),
    Column("description", Text, nullable=False),
    Column("balance_after_cents", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("type IN ('deposit', 'withdraw', 'allocate', 'deallocate', 'profit', 'loss')"),
    CheckConstraint("amount_cents >= 0"),
    UniqueConstraint("user_id", "seq"),
)

bot_settings = Table(
    "bot_settings",
    metadata,
    Column("bot_id", Text, ForeignKey("bots.id", ondelete="CASCADE"), primary_key=True),
    Column("settings", Text, nullable=False),
    Column("features", Text, nullable=False),
    Column("paused_until", UtcDateTime, nullable=True),
    Column("pause_reason", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

portfolio_snapshots = Table(
    "portfolio_snapshots",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("portfolio_value_cents", BigInteger, nullable=False),
    Column("total_pnl_cents", BigInteger, nullable=False),
    Column("starting_capital_cents", BigInteger, nullable=False),
    Column("active_bots", Integer, nullable=False),
    Column("bot_count", Integer, nullable=False),
    Index("portfolio_snapshots_user_at_idx", "user_id", "at"),
)

reconcile_actions = Table(
    "reconcile_actions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("pool_id", Text, nullable=True),
    Column("bot_id", Text, nullable=True),
    Column("user_id", Text, nullable=True),
    Column("action", Text, nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Index("reconcile_actions_at_idx", "at"),
    Index("reconcile_actions_user_at_idx", "user_id", "at"),
)

# Leases (gateway/services/leader.py): which gateway replica holds a named lease, until when on
# the database's own clock; `term` grows with every new holding (a fencing token).
leases = Table(
    "leases",
    metadata,
    Column("name", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("term", BigInteger, nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    CheckConstraint("term >= 1"),
)

# Trade sync (docs/sync.md): copies of the bots' FreqTrade rows.
bot_trades = Table(
    "bot_trades",
    metadata,
    Column("bot_id", Text, primary_key=True),
    Column("trade_id", Integer, primary_key=True, autoincrement=False),
    Column("pair", Text, nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("is_short", Boolean, nullable=False),
    Column("amount", DOUBLE_PRECISION, nullable=True),
    Column("stake_amount", DOUBLE_PRECISION, nullable=True),
    Column("open_rate", DOUBLE_PRECISION, nullable=True),
    Column("close_rate", DOUBLE_PRECISION, nullable=True),
    Column("open_date", UtcDateTime, nullable=False),
    Column("close_date", UtcDateTime, nullable=True),
    Column("realized_profit", DOUBLE_PRECISION, nullable=True),
    Column("close_profit", DOUBLE_PRECISION, nullable=True),
    Column("close_profit_abs", DOUBLE_PRECISION, nullable=True),
    Column("exit_reason", Text, nullable=True),
    Column("strategy", Text, nullable=True),
    Column("timeframe", Integer, nullable=True),
    Column("stop_loss", DOUBLE_PRECISION, nullable=True),
    Column("leverage", DOUBLE_PRECISION, nullable=True),
    Column("stake_currency", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("synced_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=True),
    Index("bot_trades_open_date_idx", "open_date"),
    Index("bot_trades_close_date_idx", "close_date"),
)

bot_orders = Table(
    "bot_orders",
    metadata,
    Column("bot_id", Text, primary_key=True),
    Column("order_id", Integer, primary_key=True, autoincrement=False),
    Column("trade_id", Integer, nullable=False),
    Column("exchange_order_id", Text, nullable=False),
    Column("pair", Text, nullable=False),
    Column("side", Text, nullable=True),
    Column("order_type", Text, nullable=True),
    Column("status", Text, nullable=True),
    Column("is_open", Boolean, nullable=False),
    Column("price", DOUBLE_PRECISION, nullable=True),
    Column("average", DOUBLE_PRECISION, nullable=True),
    Column("amount", DOUBLE_PRECISION, nullable=True),
    Column("filled", DOUBLE_PRECISION, nullable=True),
    Column("remaining", DOUBLE_PRECISION, nullable=True),
    Column("cost", DOUBLE_PRECISION, nullable=True),
    Column("order_date", UtcDateTime, nullable=True),
    Column("order_filled_date", UtcDateTime, nullable=True),
    Column("order_update_date", UtcDateTime, nullable=True),
    Column("synced_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=True),
    Index("bot_orders_trade_idx", "bot_id", "trade_id"),
)

bot_pairlocks = Table(
    "bot_pairlocks",
    metadata,
    Column("bot_id", Text, primary_key=True),
    Column("lock_id", Integer, primary_key=True, autoincrement=False),
    Column("pair", Text, nullable=False),
    Column("side", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("lock_time", UtcDateTime, nullable=False),
    Column("lock_end_time", UtcDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("synced_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=True),
)

bot_sync_state = Table(
    "bot_sync_state",
    metadata,
    Column("bot_id", Text, primary_key=True),
    Column("pool_id", Text, nullable=False),
    Column("last_trade_id", Integer, nullable=False, server_default=ZERO),
    Column("last_order_id", Integer, nullable=False, server_default=ZERO),
    Column("last_lock_id", Integer, nullable=False, server_default=ZERO),
    Column("last_change_at", UtcDateTime, nullable=True),
    Column("last_synced_at", UtcDateTime, nullable=True),
    Column("lag_seconds", DOUBLE_PRECISION, nullable=True),
    Column("journal_mode", Text, nullable=False, server_default=""),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("error_count", Integer, nullable=False, server_default=ZERO),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("bot_sync_state_pool_idx", "pool_id"),
)

legacy_ids = Table(
    "legacy_ids",
    metadata,
    Column("collection", Text, primary_key=True),
    Column("legacy_id", Text, primary_key=True),
    Column("new_id", Text, nullable=False),
    Column("checksum", Text, nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("legacy_ids_new_id_idx", "new_id"),
)
