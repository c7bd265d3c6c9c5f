"""Login sessions: each is a family of refresh tokens, rotated on use and revoked as a whole.

A refresh token is 32 random bytes; only its SHA-256 is stored. Presenting a token that was
already rotated means a copy is in someone else's hands: the whole family is revoked
(unless it happens within a few seconds of the rotation, which is two tabs racing).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.db.database import Database
from gateway.errors import NotAuthenticated, NotFound
from gateway.services.accounts.useragent import parse_user_agent
from gateway.services.common import Clock, new_id, utcnow
from migrations.schema import refresh_tokens, sessions

logger = logging.getLogger(__name__)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    """One row of `sessions`."""

    id: str
    user_id: str
    created_at: datetime
    last_active: datetime
    expires_at: datetime
    device: str
    browser: str
    ip: str


@dataclass(frozen=True)
class Refreshed:
    """Outcome of a refresh: `new_token` is None when a racing request already rotated it."""

    user_id: str
    session_id: str
    new_token: str | None


class ReuseDetected(NotAuthenticated):
    """A rotated refresh token came back: its session was revoked."""


class SessionStore:
    """Creates, rotates, lists and revokes sessions."""

    def __init__(
        self, db: Database, *, ttl_seconds: int, reuse_grace_seconds: int, clock: Clock = utcnow
    ) -> None:
        self.db = db
        self.ttl = timedelta(seconds=ttl_seconds)
        self.grace = timedelta(seconds=reuse_grace_seconds)
        self.clock = clock

    async def create(self, user_id: str, *, user_agent: str, ip: str) -> tuple[str, str]:
        """Start a session; returns (session id, first refresh token)."""
        now = self.clock()
        device, browser = parse_user_agent(user_agent)
        session_id = new_id()
        token = secrets.token_urlsafe(32)
        async with self.db.engine.begin() as conn:
            await conn.execute(
                sessions.insert().values(
                    id=session_id,
                    user_id=user_id,
                    created_at=now,
                    last_active=now,
                    expires_at=now + self.ttl,
                    user_agent=user_agent[:512],
                    device=device,
                    browser=browser,
                    ip=ip,
                )
            )
            await conn.execute(
                refresh_tokens.insert().values(
                    token_hash=hash_token(token),
                    session_id=session_id,
                    issued_at=now,
                    expires_at=now + self.ttl,
                )
            )
        return session_id, token

    async def rotate(self, token: str, *, ip: str) -> Refreshed:
        """Spend `token` and issue its successor; NotAuthenticated if it cannot be used."""
        now = self.clock()
        token_hash = hash_token(token)
        # Read the token, then spend it: a write-locked transaction, or two refreshes at
        # once fail on SQLite (found by bench/load.py, docs/load.md).
        async with self.db.begin_write() as conn:
            row = (
                await conn.execute(
                    select(refresh_tokens, sessions.c.user_id, sessions.c.revoked_at)
                    .join(sessions, sessions.c.id == refresh_tokens.c.session_id)
                    .where(refresh_tokens.c.token_hash == token_hash)
                )
            ).first()
            if row is None:
                raise NotAuthenticated("Invalid refresh token", "INVALID_REFRESH_TOKEN")
            if row.revoked_at is not None:
                raise NotAuthenticated("Session has been revoked", "SESSION_REVOKED")
            if row.expires_at <= now:
                raise NotAuthenticated("Refresh token expired", "REFRESH_TOKEN_EXPIRED")
            if row.rotated_at is None:
                spent = await conn.execute(
                    update(refresh_tokens)
                    .where(refresh_tokens.c.token_hash == token_hash)
                    .where(refresh_tokens.c.rotated_at.is_(None))
                    .values(rotated_at=now)
                )
                rotated_by_us = spent.rowcount == 1
            else:
                rotated_by_us = False
            rotated_at = now if rotated_by_us else row.rotated_at
            reused = not rotated_by_us and (rotated_at is None or now - rotated_at > self.grace)
            if not reused:
                successor = await self._continue(conn, row, now, ip, rotated_by_us)
        if reused:
            # Outside the transaction above: the revocation must stick although we raise.
            await self.revoke(row.session_id, "refresh token reuse")
            raise ReuseDetected("Refresh token reuse detected", "REFRESH_TOKEN_REUSED")
        return Refreshed(row.user_id, row.session_id, successor)

    async def _continue(
        self, conn: AsyncConnection, row: Any, now: datetime, ip: str, rotated_by_us: bool
    ) -> str | None:
        """Touch the session and, if this request spent the token, issue its successor."""
        await conn.execute(
            update(sessions).where(sessions.c.id == row.session_id).values(last_active=now, ip=ip)
        )
        if not rotated_by_us:
            return None
        successor = secrets.token_urlsafe(32)
        await conn.execute(
            refresh_tokens.insert().values(
                token_hash=hash_token(successor),
                session_id=row.session_id,
                issued_at=now,
                expires_at=row.expires_at,
            )
        )
        return successor

    async def session_of(self, token: str) -> str | None:
        """The session id a refresh token belongs to, spent or not."""
        async with self.db.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(refresh_tokens.c.session_id).where(
                        refresh_tokens.c.token_hash == hash_token(token)
                    )
                )
            ).first()
        return str(row.session_id) if row else None

    async def revoke(self, session_id: str, reason: str) -> None:
        async with self.db.engine.begin() as conn:
            await self._revoke(conn, session_id, reason, self.clock())

    async def revoke_for_user(self, user_id: str, session_id: str) -> None:
        """Revoke one of the user's own live sessions; NotFound otherwise."""
        async with self.db.engine.begin() as conn:
            result = await conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id)
                .where(sessions.c.user_id == user_id)
                .where(sessions.c.revoked_at.is_(None))
                .values(revoked_at=self.clock(), revoked_reason="revoked by user")
            )
        if result.rowcount != 1:
            raise NotFound("Session not found", "SESSION_NOT_FOUND")

    async def list_active(self, user_id: str) -> list[Session]:
        """The user's live sessions, most recently active first."""
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(sessions)
                .where(sessions.c.user_id == user_id)
                .where(sessions.c.revoked_at.is_(None))
                .where(sessions.c.expires_at > self.clock())
                .order_by(sessions.c.last_active.desc(), sessions.c.id)
            )
            return [
                Session(
                    id=r.id,
                    user_id=r.user_id,
                    created_at=r.created_at,
                    last_active=r.last_active,
                    expires_at=r.expires_at,
                    device=r.device,
                    browser=r.browser,
                    ip=r.ip,
                )
                for r in rows
            ]

    async def is_active(self, session_id: str) -> bool:
        async with self.db.engine.connect() as conn:
            row = (
                await conn.execute(select(sessions.c.revoked_at).where(sessions.c.id == session_id))
            ).first()
        return row is not None and row.revoked_at is None

    @staticmethod
    async def _revoke(conn: AsyncConnection, session_id: str, reason: str, now: datetime) -> None:
        await conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .where(sessions.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        logger.info("revoked session %s: %s", session_id, reason)
