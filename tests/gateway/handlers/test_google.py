"""The Google flow of contract §2.3 end to end with real Firebase Auth emulator tokens."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.fixtures.firebase import FirebaseEmulator
from tests.gateway.conftest import PASSWORD, AppClient, ClientFactory, register_and_login


@pytest.fixture
async def google_client(
    make_client: ClientFactory, firebase_emulator: FirebaseEmulator
) -> AppClient:
    return await make_client(
        firebase_auth_emulator_host=firebase_emulator.host,
        firebase_project_id=firebase_emulator.project_id,
    )


def _email() -> str:
    return f"g-{uuid.uuid4().hex[:10]}@example.com"


async def _mint(emulator: FirebaseEmulator, email: str, name: str | None = None) -> str:
    return await asyncio.to_thread(emulator.mint_id_token, email, name)


async def test_google_login_flow(
    google_client: AppClient, firebase_emulator: FirebaseEmulator
) -> None:
    email = _email()
    id_token = await _mint(firebase_emulator, email, "Grace Hopper")
    # The UI calls google-verify twice (possibly at once): same user both times.
    first, second = await asyncio.gather(
        google_client.post("/api/auth/google-verify", json={"idToken": id_token}),
        google_client.post("/api/auth/google-verify", json={"idToken": id_token}),
    )
    bodies: list[dict[str, Any]] = [await first.json(), await second.json()]
    assert first.status == second.status == 200, bodies
    assert bodies[0]["data"] == bodies[1]["data"]
    assert bodies[0]["success"] is True
    assert bodies[0]["data"]["email"] == email and bodies[0]["data"]["name"] == "Grace Hopper"
    assert "refreshToken" in {c.key for c in google_client.session.cookie_jar}

    # The UI then stores the Firebase token itself and verifies it, in all header forms.
    for header in (f"Bearer {id_token}", f"Firebase {id_token}", id_token):
        response = await google_client.get(
            "/api/auth/verify-token", headers={"Authorization": header}
        )
        body = await response.json()
        assert response.status == 200, body
    assert body["tokenType"] == "Firebase" and body["valid"] is True
    assert body["user"]["id"] == bodies[0]["data"]["id"] and isinstance(body["uid"], str)
    assert body["user"]["role"] == "user"

    profile = await google_client.get(
        "/api/account/profile", headers={"Authorization": f"Bearer {id_token}"}
    )
    data = (await profile.json())["data"]
    assert data["authProvider"] == "google" and data["hasPassword"] is False

    # A Google user may set a password without a current one.
    response = await google_client.post(
        "/api/account/change-password",
        json={"newPassword": "now-with-password"},
        headers={"Authorization": f"Bearer {id_token}"},
    )
    assert (await response.json())["message"] == "Password set successfully"


async def test_first_sight_of_firebase_token_creates_the_user(
    google_client: AppClient, firebase_emulator: FirebaseEmulator
) -> None:
    email = _email()
    id_token = await _mint(firebase_emulator, email)
    response = await google_client.get(
        "/api/auth/verify-token", headers={"Authorization": f"Bearer {id_token}"}
    )
    body = await response.json()
    assert response.status == 200
    assert body["user"]["email"] == email and body["user"]["name"] == email.split("@")[0]


async def test_google_verify_rejects_bad_tokens(google_client: AppClient) -> None:
    response = await google_client.post("/api/auth/google-verify", json={"idToken": "nonsense"})
    body = await response.json()
    assert response.status == 401 and body["success"] is False
    assert body["code"] == "INVALID_TOKEN"


async def test_unsigned_tokens_are_refused_without_the_emulator(
    make_client: ClientFactory, firebase_emulator: FirebaseEmulator
) -> None:
    client = await make_client(firebase_project_id=firebase_emulator.project_id)
    id_token = await _mint(firebase_emulator, _email())
    response = await client.get(
        "/api/auth/verify-token", headers={"Authorization": f"Bearer {id_token}"}
    )
    assert response.status == 401
    assert (await response.json())["valid"] is False


async def test_google_login_for_an_existing_password_account(
    google_client: AppClient, firebase_emulator: FirebaseEmulator
) -> None:
    email = _email()
    account = await register_and_login(google_client, email, PASSWORD)
    id_token = await _mint(firebase_emulator, email)
    response = await google_client.post("/api/auth/google-verify", json={"idToken": id_token})
    body = await response.json()
    # Emulator e-mail/password accounts are unverified: no silent account takeover.
    assert response.status == 409 and body["code"] == "ACCOUNT_EXISTS"
    assert account.token
