"""U1-U7 on both databases."""

from __future__ import annotations

from sqlalchemy import select

from gateway.keys import DB, SERVICES
from gateway.services.accounts.audit import AuditEvent
from migrations.schema import email_verifications
from tests.gateway.conftest import PASSWORD, AppClient, register_and_login

FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0"


async def test_profile_has_the_fields_the_page_reads(client: AppClient) -> None:
    account = await register_and_login(client)
    response = await client.get("/api/account/profile", headers=account.auth)
    body = await response.json()
    assert response.status == 200 and body["success"] is True
    data = body["data"]
    assert data["id"] == account.user_id and data["username"] == "alice"
    assert data["email"] == "alice@example.com" and data["displayName"] == "alice"
    assert data["timezone"] == "UTC" and data["preferredCurrency"] == "USD"
    assert data["emailVerified"] is False and data["twoFactorEnabled"] is False
    assert data["authProvider"] == "local" and data["hasPassword"] is True
    assert data["subscription"] == {
        "plan": "free", "maxBots": 3, "maxWalletSize": 100000, "expiresAt": None
    }  # fmt: skip
    assert data["notificationPreferences"] == {
        "emailNotifications": {"tradeAlerts": True, "dailySummary": True, "botErrors": True},
        "pushNotifications": False,
        "notificationFrequency": "instant",
    }


async def test_update_profile_and_validation(client: AppClient) -> None:
    account = await register_and_login(client)
    update = {"displayName": "Alice A.", "timezone": "Europe/Berlin", "preferredCurrency": "EUR"}
    response = await client.put("/api/account/profile", json=update, headers=account.auth)
    body = await response.json()
    assert response.status == 200
    assert body["data"] == {**update, "avatar": ""}
    profile = await (await client.get("/api/account/profile", headers=account.auth)).json()
    assert profile["data"]["displayName"] == "Alice A."
    assert profile["data"]["preferredCurrency"] == "EUR"

    bad = {**update, "preferredCurrency": "BTC"}
    response = await client.put("/api/account/profile", json=bad, headers=account.auth)
    body = await response.json()
    assert response.status == 422
    assert body["code"] == "INVALID_VALUE" and body["field"] == "preferredCurrency"


async def test_change_password_requires_the_current_one(client: AppClient) -> None:
    account = await register_and_login(client)
    url = "/api/account/change-password"
    response = await client.post(url, json={"newPassword": "new-secret"}, headers=account.auth)
    assert response.status == 400
    assert (await response.json())["message"] == "Current password is required"
    response = await client.post(
        url, json={"currentPassword": "nope", "newPassword": "new-secret"}, headers=account.auth
    )
    assert (await response.json())["message"] == "Current password is incorrect"
    response = await client.post(
        url, json={"currentPassword": PASSWORD, "newPassword": "new-secret"}, headers=account.auth
    )
    body = await response.json()
    assert response.status == 200 and body["message"] == "Password changed successfully"
    login = await client.post(
        "/api/auth/login", json={"email": account.email, "password": "new-secret"}
    )
    assert login.status == 200


async def test_sessions_list_and_revoke(client: AppClient) -> None:
    account = await register_and_login(client)
    second = await client.post(
        "/api/auth/login",
        json={"email": account.email, "password": PASSWORD},
        headers={"User-Agent": FIREFOX_MAC},
    )
    assert second.status == 200
    response = await client.get("/api/account/sessions", headers=account.auth)
    sessions = (await response.json())["data"]
    assert len(sessions) == 2
    firefox = next(s for s in sessions if s["browser"] == "Firefox")
    assert firefox["device"] == "Mac" and firefox["ip"] == "127.0.0.1"
    assert firefox["lastActive"].endswith("Z") and firefox["createdAt"].endswith("Z")
    assert sum(s["current"] for s in sessions) == 1

    url = f"/api/account/sessions/{firefox['sessionId']}"
    response = await client.delete(url, headers=account.auth)
    assert response.status == 200
    assert (await response.json())["message"] == "Session revoked successfully"
    left = (await (await client.get("/api/account/sessions", headers=account.auth)).json())["data"]
    assert [s["sessionId"] for s in left] != [firefox["sessionId"]] and len(left) == 1
    response = await client.delete(url, headers=account.auth)
    assert response.status == 404


async def test_cannot_revoke_someone_elses_session(client: AppClient) -> None:
    alice = await register_and_login(client)
    bob = await register_and_login(client, "bob@example.com")
    bob_sessions = await (await client.get("/api/account/sessions", headers=bob.auth)).json()
    target = bob_sessions["data"][0]["sessionId"]
    response = await client.delete(f"/api/account/sessions/{target}", headers=alice.auth)
    assert response.status == 404
    assert (await response.json())["code"] == "SESSION_NOT_FOUND"


async def test_notification_preferences_round_trip(client: AppClient) -> None:
    account = await register_and_login(client)
    prefs = {
        "emailNotifications": {"tradeAlerts": False, "dailySummary": True, "botErrors": False},
        "pushNotifications": True,
        "notificationFrequency": "daily",
    }
    response = await client.put("/api/account/notifications", json=prefs, headers=account.auth)
    assert response.status == 200
    assert (await response.json())["data"] == prefs
    prefs["notificationFrequency"] = "hourly"
    await client.put("/api/account/notifications", json=prefs, headers=account.auth)
    profile = await (await client.get("/api/account/profile", headers=account.auth)).json()
    assert profile["data"]["notificationPreferences"] == prefs

    broken = {**prefs, "pushNotifications": "yes"}
    response = await client.put("/api/account/notifications", json=broken, headers=account.auth)
    body = await response.json()
    assert response.status == 422
    assert body["code"] == "INVALID_TYPE" and body["field"] == "pushNotifications"
    missing = {"pushNotifications": True, "notificationFrequency": "daily"}
    response = await client.put("/api/account/notifications", json=missing, headers=account.auth)
    body = await response.json()
    assert body["code"] == "MISSING_FIELD" and body["field"] == "emailNotifications"


async def test_send_verification_email_is_recorded(client: AppClient) -> None:
    account = await register_and_login(client)
    response = await client.post("/api/account/send-verification-email", headers=account.auth)
    assert response.status == 200
    assert (await response.json())["success"] is True
    db = client.app[DB]
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(email_verifications))).all()
    assert len(rows) == 1
    assert rows[0].user_id == account.user_id and rows[0].delivery == "logged"
    assert len(rows[0].token_hash) == 64
    events = [e.event for e in await client.app[SERVICES].audit.entries(user_id=account.user_id)]
    assert AuditEvent.VERIFICATION_REQUESTED.value in events


async def test_account_routes_need_a_token(client: AppClient) -> None:
    for method, path in (("GET", "/api/account/profile"), ("GET", "/api/account/sessions")):
        response = await client.request(method, path)
        assert response.status == 401
        body = await response.json()
        assert body["success"] is False and body["code"] == "NO_TOKEN"


async def test_verification_email_goes_through_smtp_when_configured(make_client) -> None:
    """A minimal SMTP server on a free port receives the message (no STARTTLS, no login)."""
    import asyncio

    received: list[bytes] = []

    async def smtp_session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 test ESMTP\r\n")
        in_data = False
        while line := await reader.readline():
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    writer.write(b"250 queued\r\n")
                else:
                    received.append(line)
            elif line.upper().startswith(b"DATA"):
                in_data = True
                writer.write(b"354 go ahead\r\n")
            elif line.upper().startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(smtp_session, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        client = await make_client(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
        account = await register_and_login(client)
        response = await client.post("/api/account/send-verification-email", headers=account.auth)
        assert response.status == 200
    message = b"".join(received).decode()
    assert "To: alice@example.com" in message and "verify-email?token=" in message
    async with client.app[DB].engine.connect() as conn:
        row = (await conn.execute(select(email_verifications))).one()
    assert row.delivery == "smtp"
