"""SQLAlchemy Core definitions of the tables the migrations create (a test keeps them in step)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    TypeDecorator,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, zone-less UTC `TIMESTAMP` in the database."""

    impl = DateTime(timezone=False)
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

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)

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
    Column("email_verified", Boolean, nullable=False, server_default="false"),
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
    Column("trade_alerts", Boolean, nullable=False, server_default="true"),
    Column("daily_summary", Boolean, nullable=False, server_default="true"),
    Column("bot_errors", Boolean, nullable=False, server_default="true"),
    Column("push_notifications", Boolean, nullable=False, server_default="false"),
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
