"""Who is calling: turn a bearer token (Firebase ID token or own JWT) into a known user."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from gateway.auth.tokens import TokenIssuer
from gateway.errors import NotAuthenticated, NotFound, Unavailable
from gateway.services.accounts.users import GoogleProfile, User, UserStore

logger = logging.getLogger(__name__)

TokenKind = Literal["JWT", "Firebase"]


class FirebaseIdentityLike(Protocol):
    """The fields of `gateway.auth.firebase.FirebaseIdentity` this module reads."""

    @property
    def uid(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def picture(self) -> str | None: ...
    @property
    def email_verified(self) -> bool: ...


class IdTokenVerifier(Protocol):
    """What `gateway.auth.firebase.FirebaseVerifier` offers."""

    def handles(self, token: str) -> bool: ...
    async def verify(self, token: str) -> FirebaseIdentityLike: ...


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user: User
    token_kind: TokenKind
    session_id: str | None = None
    firebase_uid: str | None = None

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"


def profile_of(identity: FirebaseIdentityLike) -> GoogleProfile:
    return GoogleProfile(
        uid=identity.uid,
        email=identity.email,
        name=identity.name,
        picture=identity.picture,
        email_verified=identity.email_verified,
    )


class Authenticator:
    """Verifies either token kind and returns the user behind it (upserting Google users)."""

    def __init__(self, tokens: TokenIssuer, firebase: IdTokenVerifier, users: UserStore) -> None:
        self.tokens = tokens
        self.firebase = firebase
        self.users = users

    async def verify_google(self, id_token: str) -> FirebaseIdentityLike:
        """Verify a Firebase ID token; NotAuthenticated with the reason otherwise."""
        from gateway.auth.firebase import FirebaseUnavailable, InvalidFirebaseToken

        try:
            return await self.firebase.verify(id_token)
        except FirebaseUnavailable as exc:
            logger.warning("cannot verify Firebase token: %s", exc)
            raise Unavailable(
                "Google sign-in is temporarily unavailable", "FIREBASE_UNAVAILABLE"
            ) from None
        except InvalidFirebaseToken as exc:
            logger.info("rejected Firebase token: %s", exc)
            raise NotAuthenticated("Invalid token", "INVALID_TOKEN") from None

    async def authenticate(self, token: str) -> Principal:
        """The principal for a token of either kind; 401/404 errors otherwise."""
        if not token:
            raise NotAuthenticated("No token provided", "NO_TOKEN")
        if self.firebase.handles(token):
            identity = await self.verify_google(token)
            user = await self.users.upsert_google(profile_of(identity))
            return Principal(user, "Firebase", firebase_uid=identity.uid)
        claims = self.tokens.verify(token)
        found = await self.users.get_recent(claims.user_id)
        if found is None:
            raise NotFound("User not found", "USER_NOT_FOUND")
        return Principal(found, "JWT", session_id=claims.session_id)
