"""Request rate limiting behind a small interface (in-memory now; Redis could replace it)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Quota:
    """At most `limit` requests per `window` seconds."""

    limit: int
    window: int


@dataclass(frozen=True)
class Decision:
    """Outcome of one hit; `reset` is the number of seconds until the window restarts."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        """The IETF draft `RateLimit-*` headers (plus `Retry-After` when denied)."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset)
        return headers


class RateLimiter(Protocol):
    """Counts a hit for `key` against `quota` and says whether it is allowed."""

    async def hit(self, key: str, quota: Quota) -> Decision: ...


class FixedWindowLimiter:
    """Per-key fixed windows in process memory (fine for one gateway process)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, quota: Quota) -> Decision:
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= quota.window:
            start, count = now, 0
        count += 1
        if len(self._windows) >= self._max_keys and key not in self._windows:
            self._prune(now, quota.window)
        self._windows[key] = (start, count)
        reset = max(1, math.ceil(start + quota.window - now))
        return Decision(count <= quota.limit, quota.limit, max(0, quota.limit - count), reset)

    def _prune(self, now: float, window: int) -> None:
        # Windows of any group are at most `window`-ish long; drop the expired ones.
        expired = [k for k, (start, _count) in self._windows.items() if now - start >= window]
        for k in expired:
            del self._windows[k]
