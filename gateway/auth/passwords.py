"""bcrypt password hashing, run off the event loop (a hash costs ~0.25 s at 12 rounds)."""

from __future__ import annotations

import asyncio

import bcrypt

# bcrypt only reads 72 bytes; longer passwords are refused rather than silently truncated.
MAX_PASSWORD_BYTES = 72


class PasswordHasher:
    """Hashes and checks passwords with a configured cost."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        # Checked against when the account does not exist, so timing does not reveal that.
        self._dummy = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(rounds))

    async def hash(self, password: str) -> str:
        raw = _encode(password)
        hashed = await asyncio.to_thread(bcrypt.hashpw, raw, bcrypt.gensalt(self.rounds))
        return hashed.decode("ascii")

    async def check(self, password: str, hashed: str | None) -> bool:
        raw = password.encode("utf-8")
        if len(raw) > MAX_PASSWORD_BYTES:
            return False
        target = hashed.encode("ascii") if hashed else self._dummy
        matches = await asyncio.to_thread(bcrypt.checkpw, raw, target)
        return matches and hashed is not None


def _encode(password: str) -> bytes:
    raw = password.encode("utf-8")
    if len(raw) > MAX_PASSWORD_BYTES:
        raise ValueError(f"password longer than {MAX_PASSWORD_BYTES} bytes")
    return raw
