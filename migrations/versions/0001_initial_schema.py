"""Initial schema: what the numbered SQL files 0001-0004 of the old runner created.

Accounts, trading, trade sync and the legacy-import ids, with the two roles. A database made
by that runner is stamped at this revision instead of running it (migrations/migrate.py).

Revision ID: 0001
Revises:
Create Date: 2026-12-06 21:42:35.230267
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("at", sa.TIMESTAMP(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("audit_log_event_email_at_idx", "audit_log", ["event", "email", "at"])
    op.create_index("audit_log_event_ip_at_idx", "audit_log", ["event", "ip", "at"])
    op.create_index("audit_log_user_id_idx", "audit_log", ["user_id"])
    op.create_table(
        "bot_orders",
        sa.Column("bot_id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("trade_id", sa.Integer(), nullable=False),
        sa.Column("exchange_order_id", sa.Text(), nullable=False),
        sa.Column("pair", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=True),
        sa.Column("order_type", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("price", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("average", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("amount", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("filled", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("remaining", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("cost", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("order_date", sa.TIMESTAMP(), nullable=True),
        sa.Column("order_filled_date", sa.TIMESTAMP(), nullable=True),
        sa.Column("order_update_date", sa.TIMESTAMP(), nullable=True),
        sa.Column("synced_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("deleted_at", sa.TIMESTAMP(), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "order_id"),
    )
    op.create_index("bot_orders_trade_idx", "bot_orders", ["bot_id", "trade_id"])
    op.create_table(
        "bot_pairlocks",
        sa.Column("bot_id", sa.Text(), nullable=False),
        sa.Column("lock_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pair", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("lock_time", sa.TIMESTAMP(), nullable=False),
        sa.Column("lock_end_time", sa.TIMESTAMP(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("synced_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("deleted_at", sa.TIMESTAMP(), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "lock_id"),
    )
    op.create_table(
        "bot_sync_state",
        sa.Column("bot_id", sa.Text(), nullable=False),
        sa.Column("pool_id", sa.Text(), nullable=False),
        sa.Column("last_trade_id", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_order_id", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_lock_id", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_change_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("last_synced_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("lag_seconds", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("journal_mode", sa.Text(), server_default="", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("error_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.PrimaryKeyConstraint("bot_id"),
    )
    op.create_index("bot_sync_state_pool_idx", "bot_sync_state", ["pool_id"])
    op.create_table(
        "bot_trades",
        sa.Column("bot_id", sa.Text(), nullable=False),
        sa.Column("trade_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pair", sa.Text(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("is_short", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("stake_amount", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("open_rate", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("close_rate", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("open_date", sa.TIMESTAMP(), nullable=False),
        sa.Column("close_date", sa.TIMESTAMP(), nullable=True),
        sa.Column("realized_profit", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("close_profit", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("close_profit_abs", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("exit_reason", sa.Text(), nullable=True),
        sa.Column("strategy", sa.Text(), nullable=True),
        sa.Column("timeframe", sa.Integer(), nullable=True),
        sa.Column("stop_loss", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("leverage", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("stake_currency", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("synced_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("deleted_at", sa.TIMESTAMP(), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "trade_id"),
    )
    op.create_index("bot_trades_close_date_idx", "bot_trades", ["close_date"])
    op.create_index("bot_trades_open_date_idx", "bot_trades", ["open_date"])
    op.create_table(
        "legacy_ids",
        sa.Column("collection", sa.Text(), nullable=False),
        sa.Column("legacy_id", sa.Text(), nullable=False),
        sa.Column("new_id", sa.Text(), nullable=False),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.PrimaryKeyConstraint("collection", "legacy_id"),
    )
    op.create_index("legacy_ids_new_id_idx", "legacy_ids", ["new_id"])
    op.create_table(
        "pools",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("control_url", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("host_label", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("bots_reported", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("memory_mb", sa.REAL(), nullable=True),
        sa.Column("cpu_percent", sa.REAL(), nullable=True),
        sa.Column("last_seen", sa.TIMESTAMP(), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.CheckConstraint("source IN ('settings', 'announced')"),
        sa.CheckConstraint(
            "status IN ('unknown', 'healthy', 'degraded', 'unreachable', 'draining')"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reconcile_actions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("at", sa.TIMESTAMP(), nullable=False),
        sa.Column("pool_id", sa.Text(), nullable=True),
        sa.Column("bot_id", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("reconcile_actions_at_idx", "reconcile_actions", ["at"])
    op.create_index("reconcile_actions_user_at_idx", "reconcile_actions", ["user_id", "at"])
    op.create_table(
        "roles",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    roles = sa.table("roles", sa.column("name", sa.Text()), sa.column("description", sa.Text()))
    op.bulk_insert(
        roles,
        [
            {"name": "user", "description": "Trades with their own bots and wallet"},
            {"name": "admin", "description": "Also manages users and pools"},
        ],
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("avatar", sa.Text(), server_default="", nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("auth_provider", sa.Text(), nullable=False),
        sa.Column("firebase_uid", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), server_default="user", nullable=False),
        sa.Column("email_verified", sa.Boolean(), server_default=sa.text("FALSE"), nullable=False),
        sa.Column("timezone", sa.Text(), server_default="UTC", nullable=False),
        sa.Column("preferred_currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("last_login", sa.TIMESTAMP(), nullable=True),
        sa.ForeignKeyConstraint(
            ["role"],
            ["roles.name"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("firebase_uid"),
    )
    op.create_table(
        "bots",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("pool_id", sa.Text(), nullable=True),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("exchange", sa.Text(), nullable=False),
        sa.Column("stake_currency", sa.Text(), nullable=False),
        sa.Column("stake_amount", sa.Text(), nullable=False),
        sa.Column("max_open_trades", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.Text(), nullable=False),
        sa.Column("pairs", sa.Text(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("wallet_cents", sa.BigInteger(), nullable=False),
        sa.Column("desired_state", sa.Text(), nullable=False),
        sa.Column("observed_state", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("status_message", sa.Text(), server_default="", nullable=False),
        sa.Column("api_url", sa.Text(), nullable=True),
        sa.Column("api_username", sa.Text(), nullable=True),
        sa.Column("api_password", sa.Text(), nullable=True),
        sa.Column("api_port", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("last_seen", sa.TIMESTAMP(), nullable=True),
        sa.CheckConstraint("desired_state IN ('provisioning', 'running', 'stopped', 'deleting')"),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["pools.id"],
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("bots_pool_id_idx", "bots", ["pool_id"])
    op.create_index("bots_user_id_idx", "bots", ["user_id"])
    op.create_table(
        "email_verifications",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("expires_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("delivery", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("email_verifications_user_id_idx", "email_verifications", ["user_id"])
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("trade_alerts", sa.Boolean(), server_default=sa.text("TRUE"), nullable=False),
        sa.Column("daily_summary", sa.Boolean(), server_default=sa.text("TRUE"), nullable=False),
        sa.Column("bot_errors", sa.Boolean(), server_default=sa.text("TRUE"), nullable=False),
        sa.Column(
            "push_notifications", sa.Boolean(), server_default=sa.text("FALSE"), nullable=False
        ),
        sa.Column("frequency", sa.Text(), server_default="instant", nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "portfolio_snapshots",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("at", sa.TIMESTAMP(), nullable=False),
        sa.Column("portfolio_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_pnl_cents", sa.BigInteger(), nullable=False),
        sa.Column("starting_capital_cents", sa.BigInteger(), nullable=False),
        sa.Column("active_bots", sa.Integer(), nullable=False),
        sa.Column("bot_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("portfolio_snapshots_user_at_idx", "portfolio_snapshots", ["user_id", "at"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("last_active", sa.TIMESTAMP(), nullable=False),
        sa.Column("expires_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("revoked_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), server_default="", nullable=False),
        sa.Column("device", sa.Text(), server_default="", nullable=False),
        sa.Column("browser", sa.Text(), server_default="", nullable=False),
        sa.Column("ip", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("sessions_user_id_idx", "sessions", ["user_id"])
    op.create_table(
        "wallet_allocations",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("bot_id", sa.Text(), nullable=False),
        sa.Column("bot_name", sa.Text(), nullable=False),
        sa.Column("allocated_cents", sa.BigInteger(), nullable=False),
        sa.Column("current_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("reserved_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "lifetime_pnl_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("allocated_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("valued_at", sa.TIMESTAMP(), nullable=True),
        sa.CheckConstraint("allocated_cents >= 0"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "bot_id"),
    )
    op.create_table(
        "wallet_transactions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.Text(), nullable=True),
        sa.Column("bot_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("balance_after_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.CheckConstraint(
            "type IN ('deposit', 'withdraw', 'allocate', 'deallocate', 'profit', 'loss')"
        ),
        sa.CheckConstraint("amount_cents >= 0"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "seq"),
    )
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("deposited_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("withdrawn_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "realised_pnl_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.CheckConstraint("balance_cents >= 0"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "bot_settings",
        sa.Column("bot_id", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("paused_until", sa.TIMESTAMP(), nullable=True),
        sa.Column("pause_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bot_id"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("expires_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("rotated_at", sa.TIMESTAMP(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("refresh_tokens_session_id_idx", "refresh_tokens", ["session_id"])


def downgrade() -> None:
    op.drop_table("refresh_tokens")
    op.drop_table("bot_settings")
    op.drop_table("wallets")
    op.drop_table("wallet_transactions")
    op.drop_table("wallet_allocations")
    op.drop_table("sessions")
    op.drop_table("portfolio_snapshots")
    op.drop_table("notification_settings")
    op.drop_table("email_verifications")
    op.drop_table("bots")
    op.drop_table("users")
    op.drop_table("roles")
    op.drop_table("reconcile_actions")
    op.drop_table("pools")
    op.drop_table("legacy_ids")
    op.drop_table("bot_trades")
    op.drop_table("bot_sync_state")
    op.drop_table("bot_pairlocks")
    op.drop_table("bot_orders")
    op.drop_table("audit_log")
