"""Account self-service: profile, password, sessions and e-mail verification (contract §3.3)."""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from gateway.auth.passwords import PasswordHasher
from gateway.db.database import Database
from gateway.errors import BadInput, Conflict, NotFound, Unavailable
from gateway.mail import Mailer
from gateway.services.accounts.audit import AuditEvent, AuditLog
from gateway.services.accounts.auth import check_password_length
from gateway.services.accounts.sessions import SessionStore
from gateway.services.accounts.users import User, UserStore
from gateway.services.common import Clock, new_id, utcnow
from migrations.schema import email_verifications

logger = logging.getLogger(__name__)

VERIFICATION_TTL = timedelta(hours=24)


class AccountService:
    """The operations of the `/account` page."""

    def __init__(
        self,
        *,
        db: Database,
        users: UserStore,
        sessions: SessionStore,
        passwords: PasswordHasher,
        audit: AuditLog,
        mailer: Mailer,
        app_url: str,
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.users = users
        self.sessions = sessions
        self.passwords = passwords
        self.audit = audit
        self.mailer = mailer
        self.app_url = app_url.rstrip("/")
        self.clock = clock

    async def user(self, user_id: str) -> User:
        found = await self.users.get(user_id)
        if found is None:
            raise NotFound("User not found", "USER_NOT_FOUND")
        return found

    async def change_password(self, user_id: str, current: str | None, new: str, *, ip: str) -> str:
        """Change (or, for Google users without one, set) the password; returns the message."""
        check_password_length("newPassword", new)
        user = await self.user(user_id)
        if user.password_hash is not None:
            if not current:
                raise BadInput("Current password is required", "CURRENT_PASSWORD_REQUIRED")
            if not await self.passwords.check(current, user.password_hash):
                await self.audit.record(
                    AuditEvent.PASSWORD_CHANGE_FAILED, user_id=user_id, email=user.email, ip=ip
                )
                raise BadInput("Current password is incorrect", "CURRENT_PASSWORD_INCORRECT")
        await self.users.set_password_hash(user_id, await self.passwords.hash(new))
        had_password = user.password_hash is not None
        await self.audit.record(
            AuditEvent.PASSWORD_CHANGED,
            user_id=user_id,
            email=user.email,
            ip=ip,
            detail="changed" if had_password else "set",
        )
        return "Password changed successfully" if had_password else "Password set successfully"

    async def revoke_session(self, user_id: str, session_id: str, *, ip: str) -> None:
        await self.sessions.revoke_for_user(user_id, session_id)
        await self.audit.record(
            AuditEvent.SESSION_REVOKED, user_id=user_id, ip=ip, detail=f"session {session_id}"
        )

    async def request_verification(self, user_id: str, *, ip: str) -> str:
        """Record a verification request and send (or log) the e-mail; returns the delivery."""
        user = await self.user(user_id)
        if user.email_verified:
            raise Conflict("Email is already verified", "EMAIL_ALREADY_VERIFIED")
        token = secrets.token_urlsafe(32)
        link = f"{self.app_url}/verify-email?token={token}"
        try:
            delivery = await self.mailer.send(
                user.email,
                "Verify your Crypto-Pilot e-mail address",
                f"Hello {user.name},\n\nconfirm your address by opening:\n{link}\n\n"
                "The link is valid for 24 hours.\n",
            )
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning("verification e-mail to user %s failed: %s", user_id, exc)
            delivery = "failed"
        now = self.clock()
        async with self.db.engine.begin() as conn:
            await conn.execute(
                email_verifications.insert().values(
                    id=new_id(),
                    user_id=user_id,
                    email=user.email,
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    requested_at=now,
                    expires_at=now + VERIFICATION_TTL,
                    delivery=delivery,
                )
            )
        await self.audit.record(
            AuditEvent.VERIFICATION_REQUESTED,
            user_id=user_id,
            email=user.email,
            ip=ip,
            detail=delivery,
        )
        if delivery == "failed":
            raise Unavailable("Could not send the e-mail, please try later", "EMAIL_UNAVAILABLE")
        return delivery
