"""Firebase ID token verification: emulator tokens and the production (RS256) path."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import firebase_admin
import google.auth.credentials
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from firebase_admin import auth as firebase_auth
from firebase_admin import credentials as firebase_credentials
from pytest_aiohttp import AiohttpServer

from gateway.auth.firebase import (
    MIN_REFETCH_INTERVAL,
    FirebaseIdentity,
    FirebaseUnavailable,
    FirebaseVerifier,
    InvalidFirebaseToken,
)
from tests import certs
from tests.fixtures.firebase import FirebaseEmulator
from tests.helpers import free_port

PROJECT = "crypto-pilot-b2376"
ISSUER = f"https://securetoken.google.com/{PROJECT}"
KID = "key-1"
MAX_AGE = 3600


# --- helpers ---------------------------------------------------------------------------------


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate_pem(key: rsa.RSAPrivateKey) -> str:
    """A self-signed x509 certificate, the form Google publishes its keys in."""
    cert = certs.self_signed(key, "securetoken.system.test")
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": PROJECT,
        "auth_time": now - 10,
        "user_id": "uid-123",
        "sub": "uid-123",
        "iat": now - 10,
        "exp": now + 3600,
        "email": "alice@example.com",
        "email_verified": True,
        "name": "Alice Example",
        "picture": "https://example.com/alice.png",
        "firebase": {"identities": {}, "sign_in_provider": "google.com"},
    }
    claims.update(
        {k: now + v.seconds if isinstance(v, FromNow) else v for k, v in overrides.items()}
    )
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()


@dataclass(frozen=True)
class FromNow:
    """A claim time relative to when the token is made, not to when the tests were collected.

    A parametrize list is evaluated at collection, which in a long suite run is many minutes
    before the test runs: an absolute "600 s from now" is then in the past.
    """

    seconds: int


def _sign(key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str | None = KID) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any]) -> str:
    """An unsigned token shaped exactly like the Auth emulator's (`alg: none`, empty sig)."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


@dataclass
class CertServer:
    """A local stand-in for Google's securetoken certificate endpoint."""

    certs: dict[str, str]
    url: str = ""
    requests: int = 0
    status: int = 200
    delay: float = 0.0
    max_age: int = MAX_AGE
    seen: list[float] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status, text="unavailable")
        return web.json_response(
            self.certs, headers={"Cache-Control": f"public, max-age={self.max_age}"}
        )


class FakeClock:
    """Monotonic clock that tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return _new_key()


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return _new_key()


@pytest.fixture
async def cert_server(aiohttp_server: AiohttpServer, signing_key: rsa.RSAPrivateKey) -> CertServer:
    server = CertServer(certs={KID: _certificate_pem(signing_key)})
    app = web.Application()
    app.router.add_get("/certs", server.handle)
    running = await aiohttp_server(app, port=free_port())
    server.url = str(running.make_url("/certs"))
    return server


@pytest.fixture
async def verifier(cert_server: CertServer) -> AsyncIterator[FirebaseVerifier]:
    instance = FirebaseVerifier(PROJECT, certs_url=cert_server.url, http_timeout=1.0)
    instance._clock = FakeClock()
    yield instance
    await instance.close()


async def _reason(verifier: FirebaseVerifier, token: str) -> str:
    with pytest.raises(InvalidFirebaseToken) as caught:
        await verifier.verify(token)
    assert not isinstance(caught.value, FirebaseUnavailable)
    return str(caught.value)


# --- the real emulator -----------------------------------------------------------------------


@pytest.fixture
async def emulator_verifier(
    firebase_emulator: FirebaseEmulator,
) -> AsyncIterator[FirebaseVerifier]:
    instance = FirebaseVerifier(PROJECT, emulator_host=firebase_emulator.host)
    yield instance
    await instance.close()


async def test_emulator_token_gives_identity(
    firebase_emulator: FirebaseEmulator, emulator_verifier: FirebaseVerifier
) -> None:
    token = firebase_emulator.mint_id_token("alice@example.com", display_name="Alice")
    claims = jwt.decode(token, options={"verify_signature": False})

    assert emulator_verifier.handles(token)
    identity = await emulator_verifier.verify(token)

    assert identity == FirebaseIdentity(
        uid=claims["sub"],
        email="alice@example.com",
        name="Alice",
        picture=None,
        email_verified=False,
    )
    assert identity.uid  # the emulator assigns a real uid


async def test_emulator_token_without_name(
    firebase_emulator: FirebaseEmulator, emulator_verifier: FirebaseVerifier
) -> None:
    first = await emulator_verifier.verify(firebase_emulator.mint_id_token("bob@example.com"))
    again = await emulator_verifier.verify(firebase_emulator.mint_id_token("bob@example.com"))

    assert first.email == "bob@example.com"
    assert first.name is None
    assert again.uid == first.uid  # the second call signs the existing user in


async def test_emulator_token_rejected_in_production_mode(
    firebase_emulator: FirebaseEmulator,
) -> None:
    token = firebase_emulator.mint_id_token("mallory@example.com")
    production = FirebaseVerifier(PROJECT, certs_url="http://127.0.0.1:9/never-called")

    assert not production.handles(token)
    assert await _reason(production, token) == "unsigned token"
    await production.close()


async def test_emulator_token_for_other_project_rejected(
    firebase_emulator: FirebaseEmulator,
) -> None:
    token = firebase_emulator.mint_id_token("carol@example.com")
    other = FirebaseVerifier("another-project", emulator_host=firebase_emulator.host)

    assert await _reason(other, token) in {"wrong audience", "wrong issuer"}
    await other.close()


def test_firebase_admin_agrees_with_us(
    firebase_emulator: FirebaseEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The official library accepts the same emulator token and reads the same identity."""

    class Anonymous(firebase_credentials.Base):  # type: ignore[misc]
        def get_credential(self) -> google.auth.credentials.Credentials:
            return google.auth.credentials.AnonymousCredentials()  # type: ignore[no-untyped-call]

    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", firebase_emulator.host)
    token = firebase_emulator.mint_id_token("dave@example.com", display_name="Dave")
    app = firebase_admin.initialize_app(
        Anonymous(), options={"projectId": PROJECT}, name="test-firebase-agreement"
    )
    try:
        official = firebase_auth.verify_id_token(token, app=app)
    finally:
        firebase_admin.delete_app(app)
    ours = asyncio.run(_verify_once(FirebaseVerifier(PROJECT, emulator_host="x"), token))

    assert official["uid"] == ours.uid
    assert official["email"] == ours.email
    assert official["name"] == ours.name == "Dave"


async def _verify_once(verifier: FirebaseVerifier, token: str) -> FirebaseIdentity:
    try:
        return await verifier.verify(token)
    finally:
        await verifier.close()


# --- emulator mode without the emulator: claim checks on unsigned tokens ---------------------


@pytest.fixture
def offline_emulator_verifier() -> Iterator[FirebaseVerifier]:
    # Emulator mode never contacts the emulator; the host only switches the mode on.
    yield FirebaseVerifier(PROJECT, emulator_host="127.0.0.1:9")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": FromNow(-3600)}, "expired"),
        ({"aud": "another-project"}, "wrong audience"),
        ({"iss": "https://securetoken.google.com/another-project"}, "wrong issuer"),
        ({"sub": ""}, "empty subject"),
        ({"sub": "x" * 129}, "subject too long"),
        ({"iat": FromNow(3600)}, "issued in the future"),
        ({"exp": _DROP}, "missing claim exp"),
    ],
)
async def test_unsigned_token_claims_checked_in_emulator_mode(
    offline_emulator_verifier: FirebaseVerifier, overrides: dict[str, Any], reason: str
) -> None:
    assert await _reason(offline_emulator_verifier, _unsigned(_claims(**overrides))) == reason


async def test_valid_unsigned_token_in_emulator_mode(
    offline_emulator_verifier: FirebaseVerifier,
) -> None:
    identity = await offline_emulator_verifier.verify(_unsigned(_claims()))
    assert identity.uid == "uid-123"


# --- production path against a local certificate server -------------------------------------


async def test_signed_token_accepted(
    verifier: FirebaseVerifier, cert_server: CertServer, signing_key: rsa.RSAPrivateKey
) -> None:
    token = _sign(signing_key, _claims())

    assert verifier.handles(token)
    assert await verifier.verify(token) == FirebaseIdentity(
        uid="uid-123",
        email="alice@example.com",
        name="Alice Example",
        picture="https://example.com/alice.png",
        email_verified=True,
    )
    assert cert_server.requests == 1


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": FromNow(-60)}, "expired"),
        ({"aud": "another-project"}, "wrong audience"),
        ({"iss": "https://securetoken.google.com/another-project"}, "wrong issuer"),
        ({"iss": "https://accounts.google.com"}, "wrong issuer"),
        ({"sub": ""}, "empty subject"),
        ({"sub": _DROP}, "missing claim sub"),
        ({"sub": "x" * 129}, "subject too long"),
        ({"iat": FromNow(600)}, "issued in the future"),
        ({"iat": _DROP}, "missing claim iat"),
        ({"auth_time": FromNow(600)}, "authenticated in the future"),
    ],
)
async def test_signed_token_with_bad_claims_rejected(
    verifier: FirebaseVerifier,
    signing_key: rsa.RSAPrivateKey,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    assert await _reason(verifier, _sign(signing_key, _claims(**overrides))) == reason


async def test_forged_signature_rejected(
    verifier: FirebaseVerifier, other_key: rsa.RSAPrivateKey
) -> None:
    assert await _reason(verifier, _sign(other_key, _claims())) == "bad signature"


async def test_tampered_payload_rejected(
    verifier: FirebaseVerifier, signing_key: rsa.RSAPrivateKey
) -> None:
    header, _, signature = _sign(signing_key, _claims()).split(".")
    forged = f"{header}.{_b64(_claims(sub='someone-else'))}.{signature}"
    assert await _reason(verifier, forged) == "bad signature"


async def test_unknown_kid_rejected(
    verifier: FirebaseVerifier, signing_key: rsa.RSAPrivateKey
) -> None:
    assert await _reason(verifier, _sign(signing_key, _claims(), kid="nope")) == "unknown key id"


async def test_missing_kid_rejected(
    verifier: FirebaseVerifier, cert_server: CertServer, signing_key: rsa.RSAPrivateKey
) -> None:
    assert await _reason(verifier, _sign(signing_key, _claims(), kid=None)) == "missing key id"
    assert cert_server.requests == 0


async def test_alg_none_rejected_without_emulator(
    verifier: FirebaseVerifier, cert_server: CertServer
) -> None:
    token = _unsigned(_claims())

    assert not verifier.handles(token)
    assert await _reason(verifier, token) == "unsigned token"
    assert cert_server.requests == 0


async def test_hs256_rejected(verifier: FirebaseVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    own_jwt = jwt.encode(_claims(), "x" * 32, algorithm="HS256")
    # Algorithm confusion: an HMAC "signed" with the public key as the secret.
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': KID})}.{_b64(_claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    for token in (own_jwt, confused):
        assert not verifier.handles(token)
        assert await _reason(verifier, token) == "wrong algorithm"


async def test_other_rsa_algorithm_rejected(
    verifier: FirebaseVerifier, signing_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(_claims(), signing_key, algorithm="RS512", headers={"kid": KID})
    assert not verifier.handles(token)
    assert await _reason(verifier, token) == "wrong algorithm"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "e30.e30"])
async def test_malformed_tokens(verifier: FirebaseVerifier, token: str) -> None:
    assert not verifier.handles(token)
    assert await _reason(verifier, token) == "malformed token"


# --- certificate cache -------------------------------------------------------------------------


async def test_certificates_cached_for_max_age(
    verifier: FirebaseVerifier, cert_server: CertServer, signing_key: rsa.RSAPrivateKey
) -> None:
    clock = verifier._clock
    assert isinstance(clock, FakeClock)
    token = _sign(signing_key, _claims())

    for _ in range(5):
        await verifier.verify(token)
    assert cert_server.requests == 1

    clock.now += MAX_AGE - 1
    await verifier.verify(token)
    assert cert_server.requests == 1

    clock.now += 2  # past max-age
    await verifier.verify(token)
    assert cert_server.requests == 2


async def test_concurrent_cold_start_fetches_once(
    verifier: FirebaseVerifier, cert_server: CertServer, signing_key: rsa.RSAPrivateKey
) -> None:
    token = _sign(signing_key, _claims())
    cert_server.delay = 0.2

    identities = await asyncio.gather(*(verifier.verify(token) for _ in range(10)))

    assert {identity.uid for identity in identities} == {"uid-123"}
    assert cert_server.requests == 1


async def test_unknown_kid_refetches_at_most_once_a_minute(
    verifier: FirebaseVerifier, cert_server: CertServer, signing_key: rsa.RSAPrivateKey
) -> None:
    clock = verifier._clock
    assert isinstance(clock, FakeClock)
    await verifier.verify(_sign(signing_key, _claims()))
    assert cert_server.requests == 1

    # Google rotates keys: a token signed with a new key arrives before our cache expires.
    new_key = _new_key()
    cert_server.certs["key-2"] = _certificate_pem(new_key)
    rotated = _sign(new_key, _claims(), kid="key-2")

    for _ in range(3):
        assert await _reason(verifier, rotated) == "unknown key id"
    assert cert_server.requests == 1  # too soon after the last fetch: no hammering

    clock.now += MIN_REFETCH_INTERVAL + 1
    assert (await verifier.verify(rotated)).uid == "uid-123"
    assert cert_server.requests == 2

    clock.now += MIN_REFETCH_INTERVAL + 1
    assert await _reason(verifier, _sign(new_key, _claims(), kid="bogus")) == "unknown key id"
    assert await _reason(verifier, _sign(new_key, _claims(), kid="bogus")) == "unknown key id"
    assert cert_server.requests == 3


# --- certificate server failures ------------------------------------------------------------


async def test_cert_server_down_fails_fast(signing_key: rsa.RSAPrivateKey) -> None:
    down = FirebaseVerifier(
        PROJECT, certs_url=f"http://127.0.0.1:{free_port()}/certs", http_timeout=2.0
    )
    started = time.monotonic()
    with pytest.raises(FirebaseUnavailable):
        await down.verify(_sign(signing_key, _claims()))
    assert time.monotonic() - started < 2.0
    await down.close()


async def test_slow_cert_server_times_out(
    cert_server: CertServer, signing_key: rsa.RSAPrivateKey
) -> None:
    cert_server.delay = 30.0
    slow = FirebaseVerifier(PROJECT, certs_url=cert_server.url, http_timeout=0.5)
    clock = FakeClock()
    slow._clock = clock
    token = _sign(signing_key, _claims())

    started = time.monotonic()
    with pytest.raises(FirebaseUnavailable, match="timed out"):
        await slow.verify(token)
    assert time.monotonic() - started < 2.0

    # While Google is down, further requests fail at once instead of queueing on the timeout.
    started = time.monotonic()
    with pytest.raises(FirebaseUnavailable):
        await slow.verify(token)
    assert time.monotonic() - started < 0.2
    assert cert_server.requests == 1

    # Once the backoff has passed and the server has recovered, verification works again.
    cert_server.delay = 0.0
    clock.now += 10
    assert (await slow.verify(token)).uid == "uid-123"
    await slow.close()


@pytest.mark.parametrize("status", [500, 404])
async def test_cert_server_error_is_unavailable(
    verifier: FirebaseVerifier,
    cert_server: CertServer,
    signing_key: rsa.RSAPrivateKey,
    status: int,
) -> None:
    cert_server.status = status
    with pytest.raises(FirebaseUnavailable, match=str(status)):
        await verifier.verify(_sign(signing_key, _claims()))


async def test_unavailable_is_an_invalid_token() -> None:
    # The gateway maps FirebaseUnavailable to 503; anything catching only the base class
    # still refuses the request.
    assert issubclass(FirebaseUnavailable, InvalidFirebaseToken)
