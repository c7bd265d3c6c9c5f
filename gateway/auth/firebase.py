"""Verification of Firebase ID tokens (Google login) for the gateway.

Production tokens are RS256 JWTs signed by Google; their public keys are the x509
certificates published at `GOOGLE_CERTS_URL`, fetched with aiohttp (never blocking the event
loop), cached per `Cache-Control: max-age` and refetched when a token names an unknown key.
Auth-emulator tokens are unsigned (`alg: none`) and are accepted only when the verifier is
built with `emulator_host`, as firebase-admin does when `FIREBASE_AUTH_EMULATOR_HOST` is set.

Errors: `InvalidFirebaseToken` means "the caller's token is bad" (HTTP 401);
its subclass `FirebaseUnavailable` means "we could not fetch Google's keys" (HTTP 503):
catch `FirebaseUnavailable` first.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

logger = logging.getLogger(__name__)

GOOGLE_CERTS_URL = (
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
)
ISSUER_PREFIX = "https://securetoken.google.com/"

# Tolerated clock difference between Google (or the emulator) and this host.
LEEWAY_SECONDS = 5.0
# An unknown `kid` triggers at most one refetch per this many seconds, so a flood of tokens
# with made-up key ids cannot turn the gateway into a load generator against Google.
MIN_REFETCH_INTERVAL = 60.0
# Lower bound for the cache lifetime when the answer has no (or a tiny) `max-age`.
MIN_CACHE_SECONDS = 60.0
# After a failed fetch, fail fast for this long instead of queueing every request behind
# another full HTTP timeout.
FAILURE_BACKOFF_SECONDS = 5.0
# Firebase uids are at most 128 characters (firebase-admin enforces the same bound).
MAX_UID_LENGTH = 128

_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class FirebaseIdentity:
    """Who a verified Firebase ID token belongs to."""

    uid: str
    email: str | None
    name: str | None
    picture: str | None
    email_verified: bool


class InvalidFirebaseToken(Exception):
    """The token is not a valid Firebase ID token; `str(exc)` is a short reason (HTTP 401)."""


class FirebaseUnavailable(InvalidFirebaseToken):
    """Google's signing certificates could not be fetched; temporary (HTTP 503)."""


def _unverified_header(token: str) -> dict[str, Any] | None:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return None
    return header if isinstance(header, dict) else None


def _reason(exc: jwt.InvalidTokenError) -> str:
    """Turn a PyJWT error into the short reason the gateway logs and may show."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "issued in the future"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim}"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "wrong algorithm"
    if isinstance(exc, jwt.DecodeError):
        return "malformed token"
    return f"invalid token ({exc})"


def _optional_str(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


class FirebaseVerifier:
    """Verifies Firebase ID tokens of one project; one instance per gateway process."""

    def __init__(
        self,
        project_id: str,
        *,
        emulator_host: str | None = None,
        certs_url: str = GOOGLE_CERTS_URL,
        http_timeout: float = 5.0,
    ) -> None:
        if not project_id:
            raise ValueError("project_id is required")
        self.project_id = project_id
        self.issuer = ISSUER_PREFIX + project_id
        self.emulator_host = emulator_host or None
        self.certs_url = certs_url
        self.http_timeout = http_timeout
        self._keys: dict[str, RSAPublicKey] = {}
        self._keys_expire_at = 0.0
        self._last_fetch_at: float | None = None
        self._last_failure_at: float | None = None
        self._last_failure = ""
        self._fetch_generation = 0
        self._fetch_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        # A seam for tests; monotonic, so wall-clock jumps do not break the cache.
        self._clock = time.monotonic
        if self.emulator_host:
            logger.warning(
                "Firebase Auth emulator mode (%s): unsigned tokens are accepted",
                self.emulator_host,
            )

    def handles(self, token: str) -> bool:
        """Whether `token` looks like a Firebase ID token (decides between token kinds)."""
        header = _unverified_header(token)
        if header is None:
            return False
        alg = header.get("alg")
        if alg == "RS256":
            return True
        return alg == "none" and self.emulator_host is not None

    async def verify(self, token: str) -> FirebaseIdentity:
        """Check signature and claims of `token` and return who it belongs to."""
        header = _unverified_header(token)
        if header is None:
            raise InvalidFirebaseToken("malformed token")
        alg = header.get("alg")
        if alg == "RS256":
            claims = await self._decode_signed(token, header)
        elif alg == "none" and self.emulator_host is not None:
            claims = self._decode_unsigned(token)
        elif alg == "none":
            raise InvalidFirebaseToken("unsigned token")
        else:
            raise InvalidFirebaseToken("wrong algorithm")
        return self._identity(claims)

    async def close(self) -> None:
        """Release the HTTP session used to fetch certificates."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _decode_signed(self, token: str, header: dict[str, Any]) -> dict[str, Any]:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidFirebaseToken("missing key id")
        key = await self._key_for(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.project_id,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidFirebaseToken(_reason(exc)) from exc
        return claims

    def _decode_unsigned(self, token: str) -> dict[str, Any]:
        # The same claim checks as for signed tokens, minus the signature. firebase-admin in
        # emulator mode checks aud/iss/sub only; checking exp and iat too is stricter and
        # keeps expiry handling testable against the emulator.
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                algorithms=["none"],
                audience=self.project_id,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={
                    "verify_signature": False,
                    "verify_exp": True,
                    "verify_iat": True,
                    "verify_nbf": True,
                    "verify_aud": True,
                    "verify_iss": True,
                    "require": ["exp", "iat", "aud", "iss", "sub"],
                },
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidFirebaseToken(_reason(exc)) from exc
        return claims

    def _identity(self, claims: dict[str, Any]) -> FirebaseIdentity:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidFirebaseToken("empty subject")
        if len(sub) > MAX_UID_LENGTH:
            raise InvalidFirebaseToken("subject too long")
        auth_time = claims.get("auth_time")
        if auth_time is not None:
            if not isinstance(auth_time, int | float) or isinstance(auth_time, bool):
                raise InvalidFirebaseToken("malformed auth_time")
            if auth_time > time.time() + LEEWAY_SECONDS:
                raise InvalidFirebaseToken("authenticated in the future")
        return FirebaseIdentity(
            uid=sub,
            email=_optional_str(claims, "email"),
            name=_optional_str(claims, "name"),
            picture=_optional_str(claims, "picture"),
            email_verified=claims.get("email_verified") is True,
        )

    async def _key_for(self, kid: str) -> RSAPublicKey:
        now = self._clock()
        fresh = now < self._keys_expire_at
        if fresh and kid in self._keys:
            return self._keys[kid]
        if (
            fresh
            and self._last_fetch_at is not None
            and now - self._last_fetch_at < MIN_REFETCH_INTERVAL
        ):
            raise InvalidFirebaseToken("unknown key id")
        if (
            self._last_failure_at is not None
            and now - self._last_failure_at < FAILURE_BACKOFF_SECONDS
        ):
            raise FirebaseUnavailable(self._last_failure)
        await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise InvalidFirebaseToken("unknown key id")
        return key

    async def _refresh(self) -> None:
        """Fetch the certificates once, even when many requests need them at the same time."""
        generation = self._fetch_generation
        async with self._fetch_lock:
            if generation != self._fetch_generation:
                # Another request fetched while this one waited: use its outcome.
                if self._last_failure_at is not None:
                    raise FirebaseUnavailable(self._last_failure)
                return
            try:
                keys, max_age = await self._fetch()
            except FirebaseUnavailable as exc:
                self._last_failure_at = self._clock()
                self._last_failure = str(exc)
                logger.warning("Cannot fetch Firebase certificates: %s", exc)
                raise
            finally:
                self._fetch_generation += 1
            now = self._clock()
            self._keys = keys
            self._keys_expire_at = now + max(max_age, MIN_CACHE_SECONDS)
            self._last_fetch_at = now
            self._last_failure_at = None
            logger.info("Fetched %d Firebase certificates (max-age %ss)", len(keys), max_age)

    async def _fetch(self) -> tuple[dict[str, RSAPublicKey], float]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.http_timeout)
            )
        try:
            async with self._session.get(self.certs_url) as response:
                response.raise_for_status()
                document = await response.json(content_type=None)
                cache_control = response.headers.get("Cache-Control", "")
        except TimeoutError as exc:
            raise FirebaseUnavailable("certificate fetch timed out") from exc
        except (aiohttp.ClientError, ValueError) as exc:
            raise FirebaseUnavailable(f"certificate fetch failed: {exc}") from exc
        if not isinstance(document, dict):
            raise FirebaseUnavailable("certificate fetch failed: not a JSON object")
        keys: dict[str, RSAPublicKey] = {}
        for kid, pem in document.items():
            key = _public_key(pem)
            if key is not None:
                keys[str(kid)] = key
            else:
                logger.warning("Ignoring unusable Firebase certificate %s", kid)
        if not keys:
            raise FirebaseUnavailable("certificate fetch failed: no usable certificates")
        match = _MAX_AGE.search(cache_control)
        return keys, float(match.group(1)) if match else 0.0


def _public_key(pem: object) -> RSAPublicKey | None:
    if not isinstance(pem, str):
        return None
    try:
        key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    except ValueError:
        return None
    return key if isinstance(key, RSAPublicKey) else None
