"""The platform as the database records it, read when Prometheus scrapes the gateway.

Three aggregate queries on one connection, whatever the number of users: the wallets' sums,
every pool's last health answer (written by the pool directory's health loop) and the time
of each pool's last trade sync (the newest `bot_sync_state.last_synced_at` of its bots,
written by the pool's sync worker on every successful pass, docs/sync.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from gateway.db.database import Database
from gateway.services.common import Clock
from migrations.schema import bot_sync_state, bots, pools, wallet_allocations, wallets

# Pool statuses that mean the pool answered its last health check.
ANSWERING = frozenset({"healthy", "degraded", "draining"})


@dataclass(frozen=True)
class PoolSeen:
    """One pool as the gateway last saw it."""

    up: bool
    # Seconds since the last good health answer; None before the first one.
    last_seen_seconds: float | None


@dataclass(frozen=True)
class PlatformReading:
    """What the scrape-time gauges show."""

    free_cents: int
    allocated_cents: int
    pools: dict[str, PoolSeen] = field(default_factory=dict)
    # Seconds since each pool's last trade sync; pools without synced bots are absent.
    sync_lag_seconds: dict[str, float] = field(default_factory=dict)


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


class PlatformState:
    """Reads a `PlatformReading` from the gateway's database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def read(self) -> PlatformReading:
        allocated = select(
            func.coalesce(func.sum(wallet_allocations.c.allocated_cents), 0)
        ).scalar_subquery()
        funds = select(func.coalesce(func.sum(wallets.c.balance_cents), 0), allocated)
        seen = select(pools.c.id, pools.c.status, pools.c.last_seen)
        synced = (
            select(bot_sync_state.c.pool_id, func.max(bot_sync_state.c.last_synced_at))
            .join(bots, bots.c.id == bot_sync_state.c.bot_id)
            .where(bots.c.desired_state != "deleting")
            .group_by(bot_sync_state.c.pool_id)
        )
        async with self.db.engine.connect() as conn:
            free, held = (await conn.execute(funds)).one()
            pool_rows = (await conn.execute(seen)).all()
            sync_rows = (await conn.execute(synced)).all()
        now = self.clock()
        lags = {str(pool_id): _age(now, at) for pool_id, at in sync_rows}
        return PlatformReading(
            free_cents=int(free),
            allocated_cents=int(held),
            pools={
                row.id: PoolSeen(row.status in ANSWERING, _age(now, row.last_seen))
                for row in pool_rows
            },
            sync_lag_seconds={pool_id: lag for pool_id, lag in lags.items() if lag is not None},
        )
