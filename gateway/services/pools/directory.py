"""The pool directory: which pool supervisors exist, how to reach them and how healthy they are.

Pools come from settings or announce themselves; each gets one row in `pools` and one
long-lived `PoolControl` (gateway/services/pools/control.py), which every service calls the
pool through. A background loop asks every pool for its health and stores the
answer, so placement and the pool pages read the database instead of calling pools.
"""

from __future__ import annotations

import asyncio
import builtins
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from gateway.db.database import Database
from gateway.errors import ApiError, Unavailable
from gateway.services.common import Clock
from gateway.services.pools.control import PoolControl, failure_text
from gateway.services.trading.placement import PoolLoad
from migrations.schema import bots, pools
from runtime.rpc.client import PoolClient

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 3.0
MiB = 2**20


@dataclass(frozen=True)
class PoolRecord:
    """One row of `pools`."""

    id: str
    control_url: str
    capacity: int
    host_label: str
    source: str
    status: str
    bots_reported: int
    memory_mb: float | None
    cpu_percent: float | None
    last_seen: datetime | None
    last_error: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PlacedBot:
    """One of a user's bots and where it runs."""

    bot_id: str
    pool_id: str
    slot_index: int
    port: int | None
    observed_state: str


@dataclass(frozen=True)
class PoolUsage:
    """A pool as one user sees it: its load, and which of the bots on it are theirs."""

    pool: PoolRecord
    load: int
    my_bots: list[str]


def _record(row: Row[Any]) -> PoolRecord:
    return PoolRecord(**dict(row._mapping))


def status_from_health(health: dict[str, Any]) -> str:
    """'healthy' when the pool accepts bots and none is fatal, else 'degraded'."""
    states = health.get("states") or {}
    if health.get("accepting") and not states.get("fatal"):
        return "healthy"
    return "degraded"


class PoolDirectory:
    """Known pools, the control of each and their last observed health."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        token: str,
        timeout: float,
        configured: list[tuple[str, str]],
        health_timeout: float = HEALTH_TIMEOUT_S,
    ) -> None:
        self.db = db
        self.clock = clock
        self._token = token
        self._timeout = timeout
        self._health_timeout = health_timeout
        self._configured = dict(configured)
        self._controls: dict[str, PoolControl] = {}
        self._started = False

    # -- lifetime -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Record the configured pools and open a control for every pool the database knows."""
        for pool_id, url in self._configured.items():
            await self._upsert(pool_id, url, source="settings")
        for record in await self.list():
            await self._open(record.id, record.control_url)
        self._started = True
        logger.info("pool directory: %d pools known", len(self._controls))

    async def close(self) -> None:
        controls, self._controls = list(self._controls.values()), {}
        for control in controls:
            await control.close()

    # -- registry -------------------------------------------------------------------------------

    def accepts_token(self, presented: str) -> bool:
        """True when `presented` is the pools' shared token (never when no token is set)."""
        if not self._token:
            return False
        return hmac.compare_digest(presented.encode(), self._token.encode())

    async def announce(
        self, pool_id: str, control_url: str, host_label: str = "", capacity: int | None = None
    ) -> PoolRecord:
        """Record a pool that announced itself; settings keep the URL of pools they name."""
        url = control_url.rstrip("/")
        configured = self._configured.get(pool_id)
        if configured is not None and configured != url:
            logger.warning("pool %s announced %s, settings say %s: kept", pool_id, url, configured)
        await self._upsert(
            pool_id,
            configured or url,
            source="settings" if configured else "announced",
            host_label=host_label,
            capacity=capacity,
        )
        record = await self.find(pool_id)
        assert record is not None  # noqa: S101 - just written
        await self._open(pool_id, record.control_url)
        # Check at once so a new pool can take bots without waiting for the next health pass.
        await self._check_one(record)
        checked = await self.find(pool_id)
        assert checked is not None  # noqa: S101
        return checked

    def control(self, pool_id: str) -> PoolControl:
        """The control of a known pool; 503 `POOL_UNKNOWN` otherwise."""
        try:
            return self._controls[pool_id]
        except KeyError:
            raise Unavailable(f"Pool {pool_id} is not known", "POOL_UNKNOWN") from None

    async def find(self, pool_id: str) -> PoolRecord | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(select(pools).where(pools.c.id == pool_id))).first()
        return None if row is None else _record(row)

    async def list(self) -> builtins.list[PoolRecord]:
        """Every known pool, by id."""
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(select(pools).order_by(pools.c.id))).all()
        return [_record(r) for r in rows]

    async def bot_counts(self) -> dict[str, int]:
        """Bots placed per pool according to the database (those being deleted excluded)."""
        query = (
            select(bots.c.pool_id, func.count())
            .where(bots.c.pool_id.is_not(None), bots.c.desired_state != "deleting")
            .group_by(bots.c.pool_id)
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {str(pool_id): int(count) for pool_id, count in rows}

    async def placement_candidates(self) -> builtins.list[PoolLoad]:
        """Healthy pools with their load; the database, not the pools, decides the load."""
        counts = await self.bot_counts()
        healthy = [record for record in await self.list() if record.status == "healthy"]
        for record in healthy:  # announced to another gateway replica: not opened here yet
            await self._open(record.id, record.control_url)
        return [PoolLoad(r.id, r.capacity, counts.get(r.id, 0)) for r in healthy]

    async def for_user(
        self, user_id: str
    ) -> tuple[builtins.list[PoolUsage], builtins.list[PlacedBot]]:
        """The pools holding this user's bots plus every healthy pool, and the user's bots."""
        query = (
            select(bots.c.id, bots.c.pool_id, bots.c.api_port, bots.c.observed_state)
            .where(
                bots.c.user_id == user_id,
                bots.c.pool_id.is_not(None),
                bots.c.desired_state != "deleting",
            )
            .order_by(bots.c.created_at, bots.c.id)
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        placed: builtins.list[PlacedBot] = []
        mine: dict[str, builtins.list[str]] = {}
        for row in rows:
            on_pool = mine.setdefault(row.pool_id, [])
            placed.append(
                PlacedBot(row.id, row.pool_id, len(on_pool), row.api_port, row.observed_state)
            )
            on_pool.append(row.id)
        counts = await self.bot_counts()
        usage = [
            PoolUsage(record, counts.get(record.id, 0), mine.get(record.id, []))
            for record in await self.list()
            if record.id in mine or record.status == "healthy"
        ]
        return usage, placed

    # -- health ---------------------------------------------------------------------------------

    async def check_health(self) -> None:
        """Ask every pool for its health at once and store what each answered."""
        if not self._started:  # the database was down when the gateway started
            await self.start()
        records = await self.list()
        await asyncio.gather(*(self._check_one(r) for r in records))

    async def _check_one(self, record: PoolRecord) -> None:
        # The row is the truth: another gateway replica may have recorded a new pool or URL.
        control = await self._open(record.id, record.control_url)
        try:
            health = await control.health(timeout=self._health_timeout)
        except ApiError as exc:
            await self._store_status(record, "unreachable", last_error=failure_text(exc))
            return
        status = status_from_health(health)
        if record.status == "draining":  # an operator's decision, not the pool's
            status = "draining"
        memory = health.get("memory") or {}
        total = memory.get("total_pss_bytes")
        cpu = health.get("cpu_percent")
        await self._store_status(
            record,
            status,
            last_error="",
            capacity=int(health.get("capacity", record.capacity)),
            bots_reported=int(health.get("bots", 0)),
            memory_mb=None if total is None else round(float(total) / MiB, 1),
            cpu_percent=None if cpu is None else float(cpu),
            last_seen=self.clock(),
        )

    async def _store_status(self, record: PoolRecord, status: str, **values: Any) -> None:
        if status != record.status:
            log = logger.warning if status == "unreachable" else logger.info
            log(
                "pool %s is %s (was %s) %s",
                record.id,
                status,
                record.status,
                values.get("last_error", ""),
            )
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(pools)
                .where(pools.c.id == record.id)
                .values(status=status, updated_at=self.clock(), **values)
            )

    # -- helpers --------------------------------------------------------------------------------

    async def _open(self, pool_id: str, url: str) -> PoolControl:
        """The pool's control, replaced when its URL changed."""
        current = self._controls.get(pool_id)
        if current is not None and current.url == url.rstrip("/"):
            return current
        client = PoolClient(url, self._token, timeout=self._timeout)
        await client.__aenter__()
        control = self._controls[pool_id] = PoolControl(pool_id, client)
        if current is not None:
            logger.info("pool %s moved to %s", pool_id, url)
            await current.close()
        return control

    async def _upsert(
        self,
        pool_id: str,
        url: str,
        *,
        source: str,
        host_label: str = "",
        capacity: int | None = None,
    ) -> None:
        now = self.clock()
        changes: dict[str, Any] = {"control_url": url, "source": source, "updated_at": now}
        if host_label:
            changes["host_label"] = host_label
        if capacity is not None:
            changes["capacity"] = capacity
        for _ in range(2):  # a concurrent insert of the same id turns the second try into update
            async with self.db.engine.begin() as conn:
                result = await conn.execute(
                    update(pools).where(pools.c.id == pool_id).values(**changes)
                )
                if result.rowcount:
                    return
            try:
                async with self.db.engine.begin() as conn:
                    await conn.execute(
                        insert(pools).values(
                            id=pool_id,
                            control_url=url,
                            capacity=capacity or 0,
                            host_label=host_label,
                            source=source,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                logger.info("pool %s registered at %s (%s)", pool_id, url, source)
                return
            except IntegrityError:
                continue
