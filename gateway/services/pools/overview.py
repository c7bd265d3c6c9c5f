"""The operators' view of every pool: its bots as the pool reports them, the reconciler's
recent actions and which replica leads the background loops (`GET /api/admin/pools`).

Each known pool is asked for `GET /bots` and `GET /health` at once, all pools in parallel,
each within `timeout` seconds; a pool that does not answer is shown with its stored status
and the reason, never failing the whole view.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from gateway.db.database import Database
from gateway.errors import ApiError
from gateway.services.leader import Holding, Lease
from gateway.services.pools.control import failure_text
from gateway.services.pools.directory import PoolDirectory, PoolRecord
from migrations.schema import reconcile_actions


@dataclass(frozen=True)
class PoolView:
    """One pool now: its row, what it reported (bot statuses, health), or why it did not."""

    record: PoolRecord
    bots: list[dict[str, Any]]
    health: dict[str, Any] | None
    error: str | None


@dataclass(frozen=True)
class ReconcileAction:
    """One row the reconciler wrote."""

    at: datetime
    pool_id: str | None
    bot_id: str | None
    action: str
    detail: str


class PoolOverview:
    """Reads every pool and the reconciler's log for operators."""

    def __init__(self, db: Database, pools: PoolDirectory, *, timeout: float, lease: Lease) -> None:
        self.db = db
        self.pools = pools
        self.timeout = timeout
        self.lease = lease

    async def pools_now(self) -> list[PoolView]:
        """Every known pool, asked in parallel, sorted by id."""
        records = sorted(await self.pools.list(), key=lambda r: r.id)
        return list(await asyncio.gather(*(self._one(record) for record in records)))

    async def recent_actions(self, limit: int) -> list[ReconcileAction]:
        """The reconciler's last `limit` actions, newest first."""
        query = select(reconcile_actions).order_by(reconcile_actions.c.at.desc()).limit(limit)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [ReconcileAction(r.at, r.pool_id, r.bot_id, r.action, r.detail or "") for r in rows]

    async def leader(self) -> Holding | None:
        """The replica holding the background loops' lease now; None while nobody does."""
        return await self.lease.current()

    async def _one(self, record: PoolRecord) -> PoolView:
        try:
            control = self.pools.control(record.id)
            bots, health = await asyncio.gather(
                control.list_bots(timeout=self.timeout), control.health(timeout=self.timeout)
            )
        except ApiError as exc:
            return PoolView(record, [], None, failure_text(exc))
        return PoolView(record, bots, health, None)
