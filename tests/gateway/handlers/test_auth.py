"""A1-A6 end to end on both databases: the e-mail flow of contract §2.3, refresh and logout."""

from __future__ import annotations

import base64
import json
from http.cookies import SimpleCookie

from gateway.handlers.cookies import REFRESH_COOKIE
from tests.gateway.conftest import PASSWORD, AppClient, migrate, register_and_login


def _set_cookies(response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        jar.load(header)
    return jar


async def test_register_then_login_returns_token_user_and_cookies(client: AppClient) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"username": "alice", "email": "Alice@Example.com", "password": PASSWORD},
    )
    body = await response.json()
    assert response.status == 201
    assert body["success"] is True
    assert body["data"]["email"] == "alice@example.com"
    assert body["data"]["username"] == "alice"

    response = await client.post(
        "/api/auth/login", json={"email": "ALICE@example.com", "password": PASSWORD}
    )
    body = await response.json()
    assert response.status == 200
    assert body["success"] is True and isinstance(body["token"], str)
    assert body["expiresIn"] == 900
    assert body["data"]["user"] == {
        "id": body["data"]["user"]["id"],
        "name": "alice",
        "email": "alice@example.com",
        "avatar": "",
    }
    cookies = _set_cookies(response)
    assert cookies["token"].value == body["token"]
    assert cookies["token"]["httponly"] and cookies[REFRESH_COOKIE]["httponly"]
    assert cookies[REFRESH_COOKIE]["samesite"] == "Lax"
    assert not cookies[REFRESH_COOKIE]["secure"]
    assert cookies[REFRESH_COOKIE]["path"] == "/api/auth"


async def test_access_token_payload_decodes_with_plain_base64(client: AppClient) -> None:
    account = await register_and_login(client)
    segment = account.token.split(".")[1]
    assert len(segment) % 4 == 0  # no padding needed
    claims = json.loads(base64.b64decode(segment, validate=True))  # standard alphabet, strict
    assert claims["user"] == {"id": account.user_id}
    assert claims["sub"] == account.user_id
    assert claims["role"] == "user"
    assert claims["exp"] - claims["iat"] == 900


async def test_verify_token_returns_user_with_json_types(client: AppClient) -> None:
    account = await register_and_login(client)
    for header in (f"Bearer {account.token}", f"Firebase {account.token}", account.token):
        response = await client.get("/api/auth/verify-token", headers={"Authorization": header})
        body = await response.json()
        assert response.status == 200, body
        assert body["valid"] is True and body["tokenType"] == "JWT"
    user = body["user"]
    assert user["id"] == account.user_id and isinstance(user["id"], str)
    assert user["name"] == "alice" and user["email"] == "alice@example.com"
    assert user["avatar"] == "" and user["role"] == "user"
    assert user["createdAt"].endswith("Z") and user["lastLogin"].endswith("Z")
    assert user["paperBalance"] == 1000  # a new wallet holds the starting paper balance


async def test_verify_token_errors_are_json_with_valid_false(client: AppClient) -> None:
    response = await client.get("/api/auth/verify-token")
    body = await response.json()
    assert response.status == 401
    assert body == {"valid": False, "success": False, "message": "No token provided",
                    "code": "NO_TOKEN"}  # fmt: skip
    response = await client.get("/api/auth/verify-token", headers={"Authorization": "Bearer x.y.z"})
    body = await response.json()
    assert response.status == 401
    assert body["valid"] is False and body["code"] == "INVALID_TOKEN"


async def test_verify_token_rejects_expired_and_forged_tokens(client: AppClient) -> None:
    from datetime import UTC, datetime, timedelta

    from gateway.auth.tokens import TokenIssuer

    account = await register_and_login(client)
    secret = "test-secret-" + "x" * 32
    past = TokenIssuer(secret, 900, clock=lambda: datetime.now(UTC) - timedelta(hours=1))
    forged = TokenIssuer("another-secret-" + "y" * 32, 900)
    for token, code in (
        (past.issue(account.user_id, "user"), "TOKEN_EXPIRED"),
        (forged.issue(account.user_id, "admin"), "INVALID_TOKEN"),
    ):
        response = await client.get(
            "/api/auth/verify-token", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 401
        assert (await response.json())["code"] == code


async def test_login_errors_follow_the_contract(client: AppClient) -> None:
    response = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "whatever"}
    )
    body = await response.json()
    assert response.status == 404
    assert "User does not exist" in body["message"] and "sign up" in body["message"]
    await register_and_login(client)
    response = await client.post(
        "/api/auth/login", json={"email": "alice@example.com", "password": "wrong-password"}
    )
    body = await response.json()
    assert response.status == 400
    assert body == {"success": False, "message": "Invalid credentials",
                    "code": "INVALID_CREDENTIALS"}  # fmt: skip


async def test_register_duplicate_is_a_conflict(client: AppClient) -> None:
    await register_and_login(client)
    response = await client.post(
        "/api/auth/register",
        json={"username": "alice2", "email": "ALICE@example.com", "password": PASSWORD},
    )
    body = await response.json()
    assert response.status == 409
    assert body["message"] == "User already exists" and body["code"] == "USER_EXISTS"


async def test_refresh_rotates_and_detects_reuse(client: AppClient) -> None:
    account = await register_and_login(client)
    first = client.session.cookie_jar.filter_cookies(client.make_url("/api/auth/"))[REFRESH_COOKIE]

    response = await client.post("/api/auth/refresh-token")
    body = await response.json()
    assert response.status == 200, body
    assert body["success"] is True and isinstance(body["accessToken"], str)
    second = _set_cookies(response)[REFRESH_COOKIE].value
    assert second != first.value
    verify = await client.get(
        "/api/auth/verify-token", headers={"Authorization": f"Bearer {body['accessToken']}"}
    )
    assert verify.status == 200

    # The client keeps working with the rotated cookie.
    response = await client.post("/api/auth/refresh-token")
    assert response.status == 200
    third = _set_cookies(response)[REFRESH_COOKIE].value

    assert third != second

    # Two tabs racing: the spent token comes back within the grace window. It gets an access
    # token but no new cookie, and the session survives.
    client.session.cookie_jar.clear()
    response = await client.post(
        "/api/auth/refresh-token", headers={"Cookie": f"{REFRESH_COOKIE}={first.value}"}
    )
    assert response.status == 200
    assert REFRESH_COOKIE not in _set_cookies(response)
    response = await client.post(
        "/api/auth/refresh-token", headers={"Cookie": f"{REFRESH_COOKIE}={third}"}
    )
    assert response.status == 200
    assert account.token


async def test_reuse_after_grace_revokes_the_whole_family(make_client) -> None:
    client = await make_client(refresh_reuse_grace_seconds=0)
    await register_and_login(client)
    first = client.session.cookie_jar.filter_cookies(client.make_url("/api/auth/"))[REFRESH_COOKIE]
    response = await client.post("/api/auth/refresh-token")
    newest = _set_cookies(response)[REFRESH_COOKIE].value
    client.session.cookie_jar.clear()

    response = await client.post(
        "/api/auth/refresh-token", headers={"Cookie": f"{REFRESH_COOKIE}={first.value}"}
    )
    assert response.status == 401
    assert (await response.json())["code"] == "REFRESH_TOKEN_REUSED"
    # The legitimate holder's newest token died with the family.
    response = await client.post(
        "/api/auth/refresh-token", headers={"Cookie": f"{REFRESH_COOKIE}={newest}"}
    )
    assert response.status == 401
    assert (await response.json())["code"] == "SESSION_REVOKED"


async def test_refresh_without_or_with_bad_cookie_is_401_json(client: AppClient) -> None:
    response = await client.post("/api/auth/refresh-token")
    assert response.status == 401
    assert (await response.json())["code"] == "NO_REFRESH_TOKEN"
    response = await client.post(
        "/api/auth/refresh-token", headers={"Cookie": f"{REFRESH_COOKIE}=garbage"}
    )
    assert response.status == 401
    assert (await response.json())["code"] == "INVALID_REFRESH_TOKEN"


async def test_logout_clears_cookies_and_revokes_the_session(client: AppClient) -> None:
    await register_and_login(client)
    refresh = client.session.cookie_jar.filter_cookies(client.make_url("/api/auth/"))[
        REFRESH_COOKIE
    ].value
    response = await client.post("/api/auth/logout")
    body = await response.json()
    assert response.status == 200
    assert body == {"success": True, "message": "Logged out successfully"}
    cleared = _set_cookies(response)
    assert cleared["token"].value == "" and cleared[REFRESH_COOKIE].value == ""
    assert cleared[REFRESH_COOKIE]["max-age"] == "0"
    # The second logout call of the UI (no cookie any more) also succeeds.
    assert (await client.post("/api/auth/logout")).status == 200
    response = await client.post(
        "/api/auth/refresh-token", headers={"Cookie": f"{REFRESH_COOKIE}={refresh}"}
    )
    assert response.status == 401
    assert (await response.json())["code"] == "SESSION_REVOKED"


async def test_production_cookies_are_samesite_none_and_secure(make_client, db_url) -> None:
    await migrate(db_url)
    client = await make_client(env="production")
    response = await client.post(
        "/api/auth/register",
        json={"username": "bob", "email": "bob@example.com", "password": PASSWORD},
    )
    assert response.status == 201
    response = await client.post(
        "/api/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    cookies = _set_cookies(response)
    for name in ("token", REFRESH_COOKIE):
        assert cookies[name]["samesite"] == "None"
        assert cookies[name]["secure"] is True
        assert cookies[name]["httponly"] is True
