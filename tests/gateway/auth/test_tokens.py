"""Access tokens: decodable with the browser's atob(), and verified strictly."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.auth.tokens import TokenIssuer, atob_safe_json
from gateway.errors import NotAuthenticated

SECRET = "s" * 40


@given(
    user_id=st.uuids().map(lambda u: u.hex),
    role=st.sampled_from(["user", "admin"]),
    now=st.integers(min_value=0, max_value=4_000_000_000),
)
def test_payload_is_standard_base64_without_padding(user_id: str, role: str, now: int) -> None:
    issuer = TokenIssuer(SECRET, 900, clock=lambda: datetime.fromtimestamp(now, UTC))
    token = issuer.issue(user_id, role, uuid.uuid4().hex)
    segment = token.split(".")[1]
    assert "-" not in segment and "_" not in segment and "=" not in segment
    claims = json.loads(base64.b64decode(segment, validate=True))
    assert claims["exp"] == now + 900 and claims["user"]["id"] == user_id
    assert jwt.decode(
        token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )


def test_unsafe_claims_are_refused() -> None:
    with pytest.raises(ValueError, match="claims contain"):
        atob_safe_json({"sub": "a?b"})


def test_verify_round_trip_and_rejections() -> None:
    issuer = TokenIssuer(SECRET, 900)
    claims = issuer.verify(issuer.issue("u1", "admin", "s1"))
    assert (claims.user_id, claims.role, claims.session_id) == ("u1", "admin", "s1")
    none_alg = jwt.encode({"sub": "u1", "iat": 1, "exp": 2**40}, "", algorithm="none")
    for bad in ("", "abc", none_alg, TokenIssuer("t" * 40, 900).issue("u1", "user")):
        with pytest.raises(NotAuthenticated):
            issuer.verify(bad)
