"""Users: create, look up, upsert Google users, update profile and password hash."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.db.database import Database
from gateway.errors import Conflict
from gateway.services.common import Clock, new_id, utcnow
from gateway.services.recent import RecentCache
from migrations.schema import users
from observability.analytics import Analytics

logger = logging.getLogger(__name__)

Role = Literal["user", "admin"]
Provider = Literal["local", "google"]


@dataclass(frozen=True)
class User:
    """One row of `users`."""

    id: str
    email: str
    username: str
    display_name: str
    avatar: str
    password_hash: str | None
    auth_provider: Provider
    firebase_uid: str | None
    role: Role
    email_verified: bool
    timezone: str
    preferred_currency: str
    created_at: datetime
    updated_at: datetime
    last_login: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(**dict(row._mapping))

    @property
    def name(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True)
class GoogleProfile:
    """What a verified Google/Firebase identity tells us about a user."""

    uid: str
    email: str | None
    name: str | None
    picture: str | None
    email_verified: bool


class UserStore:
    """Reads and writes `users`; e-mails are stored lower-cased."""

    def __init__(
        self,
        db: Database,
        clock: Clock = utcnow,
        *,
        recent_ttl: float = 0.0,
        analytics: Analytics | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.analytics = analytics if analytics is not None else Analytics.off()
        self._recent: RecentCache[str, User] = RecentCache(recent_ttl)

    async def get(self, user_id: str) -> User | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return User.from_row(row) if row else None

    async def get_recent(self, user_id: str) -> User | None:
        """`get`, or the row read less than `recent_ttl` seconds ago (for authentication)."""
        return await self._recent.get(user_id, lambda: self.get(user_id))

    async def get_by_email(self, email: str) -> User | None:
        async with self.db.engine.connect() as conn:
            return await _by_email(conn, email)

    async def list_all(self) -> list[User]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(select(users).order_by(users.c.created_at, users.c.id))
        return [User.from_row(row) for row in rows]

    async def create(
        self,
        *,
        email: str,
        username: str,
        password_hash: str | None,
        auth_provider: Provider = "local",
        role: Role = "user",
        display_name: str = "",
        avatar: str = "",
        firebase_uid: str | None = None,
        email_verified: bool = False,
    ) -> User:
        """Insert a user; Conflict("User already exists") if the e-mail is taken."""
        now = self.clock()
        values = {
            "id": new_id(),
            "email": email.strip().lower(),
            "username": username,
            "display_name": display_name or username,
            "avatar": avatar,
            "password_hash": password_hash,
            "auth_provider": auth_provider,
            "firebase_uid": firebase_uid,
            "role": role,
            "email_verified": email_verified,
            "timezone": "UTC",
            "preferred_currency": "USD",
            "created_at": now,
            "updated_at": now,
            "last_login": None,
        }
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(users.insert().values(**values))
        except IntegrityError:
            raise Conflict("User already exists", "USER_EXISTS") from None
        logger.info("created %s user %s (%s)", auth_provider, values["id"], role)
        # Every account is created here once (registration, first Google sign-in, either
        # path of a race), so this is where a sign-up is counted.
        self.analytics.capture(
            "user_signed_up", str(values["id"]), {"auth_provider": auth_provider, "role": role}
        )
        return User(**cast(dict[str, Any], values))

    async def upsert_google(self, profile: GoogleProfile) -> User:
        """The user for a Google identity: found by uid, linked by verified e-mail, or created.

        Idempotent and safe when two calls race (the UI calls google-verify twice).
        """
        for _attempt in range(3):
            existing = await self._find_google(profile)
            if existing is not None:
                return existing
            email = (profile.email or f"{profile.uid}@users.firebase.invalid").lower()
            try:
                return await self.create(
                    email=email,
                    username=profile.name or email.split("@")[0],
                    password_hash=None,
                    auth_provider="google",
                    avatar=profile.picture or "",
                    firebase_uid=profile.uid,
                    email_verified=profile.email_verified,
                )
            except Conflict:
                continue  # a concurrent call created it: look again
        raise Conflict("Could not create the Google user", "USER_EXISTS")

    async def _find_google(self, profile: GoogleProfile) -> User | None:
        async with self.db.engine.begin() as conn:
            row = (
                await conn.execute(select(users).where(users.c.firebase_uid == profile.uid))
            ).first()
            if row:
                return User.from_row(row)
            if not profile.email:
                return None
            by_email = await _by_email(conn, profile.email)
            if by_email is None:
                return None
            if by_email.firebase_uid == profile.uid:
                # A racing call created it between the two reads (PostgreSQL's read committed
                # lets the second read see a row the first did not).
                return by_email
            if not profile.email_verified or by_email.firebase_uid is not None:
                raise Conflict(
                    "An account with this e-mail already exists. Please sign in with your password",
                    "ACCOUNT_EXISTS",
                )
            # A verified Google e-mail proves ownership: link it to the existing account.
            await conn.execute(
                update(users)
                .where(users.c.id == by_email.id)
                .values(firebase_uid=profile.uid, email_verified=True, updated_at=self.clock())
            )
            logger.info("linked Google uid to existing user %s", by_email.id)
        self._recent.invalidate(by_email.id)
        return await self.get(by_email.id)

    async def record_login(self, user_id: str) -> None:
        await self._update(user_id, last_login=self.clock())

    async def update_profile(
        self, user_id: str, *, display_name: str, timezone: str, preferred_currency: str
    ) -> None:
        await self._update(
            user_id,
            display_name=display_name,
            timezone=timezone,
            preferred_currency=preferred_currency,
        )

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._update(user_id, password_hash=password_hash)

    async def set_role(self, user_id: str, role: Role) -> None:
        await self._update(user_id, role=role)

    async def _update(self, user_id: str, **values: Any) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(updated_at=self.clock(), **values)
            )
        self._recent.invalidate(user_id)


async def _by_email(conn: AsyncConnection, email: str) -> User | None:
    row = (await conn.execute(select(users).where(users.c.email == email.strip().lower()))).first()
    return User.from_row(row) if row else None
