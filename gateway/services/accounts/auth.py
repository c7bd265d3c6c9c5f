"""Login, registration, Google sign-in, refresh and logout, independent of HTTP."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gateway.auth.identity import Authenticator, profile_of
from gateway.auth.passwords import MAX_PASSWORD_BYTES, PasswordHasher
from gateway.auth.tokens import TokenIssuer
from gateway.errors import BadInput, InvalidField, NotAuthenticated, NotFound
from gateway.services.accounts.audit import AuditEvent, AuditLog
from gateway.services.accounts.sessions import ReuseDetected, SessionStore
from gateway.services.accounts.throttle import LoginThrottle
from gateway.services.accounts.users import User, UserStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from, for sessions and the audit log."""

    ip: str
    user_agent: str


@dataclass(frozen=True)
class SignedIn:
    """A new or refreshed login: the access JWT and (when rotated) the refresh token."""

    user: User
    access_token: str
    refresh_token: str | None
    expires_in: int


def check_password_length(field: str, password: str) -> None:
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise InvalidField(field, "Password must be at most 72 bytes", "INVALID_VALUE")


class AuthService:
    """The auth flows of contract §2.3."""

    def __init__(
        self,
        *,
        users: UserStore,
        sessions: SessionStore,
        passwords: PasswordHasher,
        tokens: TokenIssuer,
        authenticator: Authenticator,
        audit: AuditLog,
        throttle: LoginThrottle,
    ) -> None:
        self.users = users
        self.sessions = sessions
        self.passwords = passwords
        self.tokens = tokens
        self.authenticator = authenticator
        self.audit = audit
        self.throttle = throttle

    async def register(self, username: str, email: str, password: str, client: ClientInfo) -> User:
        check_password_length("password", password)
        user = await self.users.create(
            email=email,
            username=username.strip(),
            password_hash=await self.passwords.hash(password),
        )
        await self.audit.record(
            AuditEvent.REGISTERED, user_id=user.id, email=user.email, ip=client.ip
        )
        return user

    async def login(self, email: str, password: str, client: ClientInfo) -> SignedIn:
        """Check the password (throttled) and start a session."""
        email = email.strip().lower()
        await self.throttle.check(email, client.ip)
        user = await self.users.get_by_email(email)
        if user is None:
            await self.passwords.check(password, None)  # same time as a real check
            await self.throttle.failed(email, client.ip, "unknown account")
            raise NotFound("User does not exist. Please sign up instead.", "USER_NOT_FOUND")
        if user.password_hash is None:
            await self.throttle.failed(email, client.ip, "google account", user.id)
            raise BadInput(
                "This account was created with Google. Please sign in with Google instead.",
                "GOOGLE_ACCOUNT",
            )
        if not await self.passwords.check(password, user.password_hash):
            await self.throttle.failed(email, client.ip, "wrong password", user.id)
            raise BadInput("Invalid credentials", "INVALID_CREDENTIALS")
        await self.audit.record(
            AuditEvent.LOGIN_SUCCEEDED, user_id=user.id, email=email, ip=client.ip
        )
        return await self._start_session(user, client)

    async def google_login(self, id_token: str, client: ClientInfo) -> SignedIn:
        """Verify a Firebase ID token, upsert its user and start a session (idempotent)."""
        identity = await self.authenticator.verify_google(id_token)
        user = await self.users.upsert_google(profile_of(identity))
        await self.audit.record(
            AuditEvent.GOOGLE_LOGIN, user_id=user.id, email=user.email, ip=client.ip
        )
        return await self._start_session(user, client)

    async def refresh(self, refresh_token: str | None, client: ClientInfo) -> SignedIn:
        """Rotate the refresh token and issue a new access token."""
        if not refresh_token:
            raise NotAuthenticated("No refresh token provided", "NO_REFRESH_TOKEN")
        try:
            refreshed = await self.sessions.rotate(refresh_token, ip=client.ip)
        except ReuseDetected:
            await self.audit.record(AuditEvent.REFRESH_REUSE, ip=client.ip)
            raise
        user = await self.users.get(refreshed.user_id)
        if user is None:
            raise NotAuthenticated("User no longer exists", "USER_NOT_FOUND")
        access = self.tokens.issue(user.id, user.role, refreshed.session_id)
        return SignedIn(user, access, refreshed.new_token, self.tokens.ttl)

    async def logout(self, refresh_token: str | None, client: ClientInfo) -> None:
        """Revoke the session behind the refresh cookie, if any; never fails for the client."""
        if not refresh_token:
            return
        session_id = await self.sessions.session_of(refresh_token)
        if session_id is None:
            return
        await self.sessions.revoke(session_id, "logout")
        await self.audit.record(AuditEvent.LOGOUT, ip=client.ip, detail=f"session {session_id}")

    async def _start_session(self, user: User, client: ClientInfo) -> SignedIn:
        session_id, refresh_token = await self.sessions.create(
            user.id, user_agent=client.user_agent, ip=client.ip
        )
        await self.users.record_login(user.id)
        access = self.tokens.issue(user.id, user.role, session_id)
        fresh = await self.users.get(user.id)
        return SignedIn(fresh or user, access, refresh_token, self.tokens.ttl)
