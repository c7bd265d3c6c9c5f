"""The security audit log: logins, failures, lock-outs, token reuse, password and role changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select

from gateway.db.database import Database
from gateway.services.common import Clock, new_id, utcnow
from migrations.schema import audit_log
from observability.logs import request_id_var

logger = logging.getLogger(__name__)


class AuditEvent(StrEnum):
    """Names of the security events (stable: stored in the database)."""

    REGISTERED = "registered"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    GOOGLE_LOGIN = "google_login"
    REFRESH_REUSE = "refresh_token_reuse"
    LOGOUT = "logout"
    SESSION_REVOKED = "session_revoked"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name
    PASSWORD_CHANGE_FAILED = "password_change_failed"  # noqa: S105
    VERIFICATION_REQUESTED = "verification_email_requested"
    USER_CREATED_BY_CLI = "user_created_by_cli"


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    at: datetime
    event: str
    user_id: str | None
    email: str | None
    ip: str | None
    request_id: str | None
    detail: str


class AuditLog:
    """Append-only writer and the few queries throttling needs."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    async def record(
        self,
        event: AuditEvent,
        *,
        user_id: str | None = None,
        email: str | None = None,
        ip: str | None = None,
        detail: str = "",
    ) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                audit_log.insert().values(
                    id=new_id(),
                    at=self.clock(),
                    event=event.value,
                    user_id=user_id,
                    email=email.lower() if email else None,
                    ip=ip,
                    request_id=request_id_var.get(),
                    detail=detail,
                )
            )
        logger.info("audit %s user=%s ip=%s %s", event.value, user_id, ip, detail)

    async def window(
        self, event: AuditEvent, since: datetime, *, email: str | None = None, ip: str | None = None
    ) -> tuple[int, datetime | None]:
        """(count, oldest time) of `event` since `since` for an e-mail or an IP."""
        query = select(func.count(), func.min(audit_log.c.at)).where(
            audit_log.c.event == event.value, audit_log.c.at > since
        )
        if email is not None:
            query = query.where(audit_log.c.email == email.lower())
        if ip is not None:
            query = query.where(audit_log.c.ip == ip)
        async with self.db.engine.connect() as conn:
            count, oldest = (await conn.execute(query)).one()
        return int(count), oldest

    async def last(self, event: AuditEvent, *, email: str) -> datetime | None:
        """When `event` last happened for this e-mail."""
        query = select(func.max(audit_log.c.at)).where(
            audit_log.c.event == event.value, audit_log.c.email == email.lower()
        )
        async with self.db.engine.connect() as conn:
            latest: datetime | None = (await conn.execute(query)).scalar()
        return latest

    async def entries(self, *, user_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Most recent entries first (for admins and tests)."""
        query = select(audit_log).order_by(audit_log.c.at.desc()).limit(limit)
        if user_id is not None:
            query = query.where(audit_log.c.user_id == user_id)
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(query)
            return [
                AuditEntry(r.at, r.event, r.user_id, r.email, r.ip, r.request_id, r.detail)
                for r in rows
            ]
