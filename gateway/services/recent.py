"""A short-lived cache of rows read on every request (the user behind a token, a bot's owner).

Every authenticated request reads the caller's user row, and every proxied call the bot's
row; those two reads are most of what the proxy adds to a bot call. Reusing a row for a second
is safe for what they decide: the access token itself is valid for minutes, ownership never
changes, and a write made by this process drops the row at once. Only another process's
write (a second gateway, the CLI) can go unseen, for at most `ttl` seconds.

A read that started before an invalidation is not stored (a generation counter), so a racing
write is never hidden behind a value read just before it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_ENTRIES = 10_000


class RecentCache(Generic[K, V]):
    """Values kept for `ttl` seconds (0 = never kept); absent results are never kept."""

    def __init__(
        self,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._max = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        self._generation = 0

    async def get(self, key: K, load: Callable[[], Awaitable[V | None]]) -> V | None:
        """The kept value if fresh, else `load()`'s (kept unless an invalidation raced it)."""
        if self.ttl > 0:
            found = self._entries.get(key)
            if found is not None and found[0] > self._clock():
                return found[1]
        generation = self._generation
        value = await load()
        if value is not None and self.ttl > 0 and generation == self._generation:
            if len(self._entries) >= self._max:
                self._entries.pop(next(iter(self._entries)))  # the oldest entry
            self._entries[key] = (self._clock() + self.ttl, value)
        return value

    def invalidate(self, key: K) -> None:
        """Forget one key, and any read of it still under way."""
        self._generation += 1
        self._entries.pop(key, None)
