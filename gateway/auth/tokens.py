"""The gateway's own access tokens: HS256 JWTs whose payload also decodes as plain base64.

The frontend reads `exp` with the browser's `atob()` (standard base64, not base64url). The
payload is compact ASCII JSON without `>`, `?` and `~` (the only ASCII characters whose
encodings differ between the two alphabets) and padded with spaces to a multiple of three
bytes, so the segment needs no `=` padding either: `atob` and strict decoders both accept it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from gateway.errors import NotAuthenticated
from gateway.services.common import Clock, utcnow

ALGORITHM = "HS256"
_FORBIDDEN_CHARS = frozenset(">?~")


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says."""

    user_id: str
    role: str
    session_id: str | None
    issued_at: int
    expires_at: int


class TokenIssuer:
    """Issues and verifies access JWTs with one shared secret."""

    def __init__(self, secret: str, ttl_seconds: int, clock: Clock = utcnow) -> None:
        self._secret = secret
        self.ttl = ttl_seconds
        self.clock = clock

    def issue(self, user_id: str, role: str, session_id: str | None = None) -> str:
        now = int(self.clock().timestamp())
        claims: dict[str, Any] = {
            "user": {"id": user_id},
            "sub": user_id,
            "role": role,
            "iat": now,
            "exp": now + self.ttl,
        }
        if session_id is not None:
            claims["sid"] = session_id
        return jwt.api_jws.encode(atob_safe_json(claims), self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """Decode and check signature and expiry; NotAuthenticated otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "sub"], "verify_iat": False},
                leeway=timedelta(seconds=5),
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("Token expired", "TOKEN_EXPIRED") from None
        except jwt.InvalidTokenError:
            raise NotAuthenticated("Invalid token", "INVALID_TOKEN") from None
        # PyJWT checks expiry against the wall clock; also honour an injected clock.
        if int(claims["exp"]) < int(self.clock().timestamp()):
            raise NotAuthenticated("Token expired", "TOKEN_EXPIRED")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise NotAuthenticated("Invalid token", "INVALID_TOKEN")
        session_id = claims.get("sid")
        return AccessClaims(
            user_id=subject,
            role=str(claims.get("role", "user")),
            session_id=session_id if isinstance(session_id, str) else None,
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
        )

    def expires_at(self, token: str) -> datetime:
        return datetime.fromtimestamp(self.verify(token).expires_at, tz=self.clock().tzinfo)


def atob_safe_json(claims: dict[str, Any]) -> bytes:
    """Compact ASCII JSON whose base64 and base64url encodings coincide and need no padding."""
    text = json.dumps(claims, separators=(",", ":"), ensure_ascii=True, sort_keys=True)
    unsafe = _FORBIDDEN_CHARS.intersection(text)
    if unsafe:
        raise ValueError(f"token claims contain {sorted(unsafe)}; use ids without them")
    return (text + " " * (-len(text) % 3)).encode("ascii")
