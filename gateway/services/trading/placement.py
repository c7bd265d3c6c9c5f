"""Where a new bot goes: pick a pool from the healthy ones by room, spread and load (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class PoolLoad:
    """A healthy pool and how many bots the database has placed on it."""

    pool_id: str
    capacity: int
    load: int

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity

    @property
    def ratio(self) -> Fraction:
        """Share of the capacity in use (exact, so ties are real ties)."""
        return Fraction(self.load, self.capacity) if self.capacity > 0 else Fraction(1)


def choose_pool(
    candidates: Iterable[PoolLoad], user_bots_per_pool: Mapping[str, int]
) -> str | None:
    """The pool for a user's next bot, or None when no pool has room.

    Among pools with room, the one holding the fewest of this user's bots wins (one pool
    going down then takes as few of the user's bots with it as possible), then the one with
    the lowest load ratio, then the smallest id so the choice is deterministic.
    """
    open_pools = [c for c in candidates if c.has_room]
    if not open_pools:
        return None
    best = min(
        open_pools,
        key=lambda c: (user_bots_per_pool.get(c.pool_id, 0), c.ratio, c.pool_id),
    )
    return best.pool_id
