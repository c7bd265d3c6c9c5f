"""Portfolio snapshots: stored every 30 s for users with running bots, read back as charts (P2, P3).

Snapshotting is a background pass (`SnapshotStore.snapshot_pass`), independent of open
streams, so the chart has no holes while nobody watches the dashboard. The same pass applies
the retention (hourly): raw for 7 days, then one per hour and user, deleted after 90 days.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from gateway.db.database import Database
from gateway.services.common import Clock, new_id
from gateway.services.dashboard.charts import RANGES, ChartSeries, Snapshot, bucket, window
from gateway.services.dashboard.portfolio import Portfolio, PortfolioService
from gateway.services.trading.botstore import BotStore
from migrations.schema import portfolio_snapshots as snapshots_table

logger = logging.getLogger(__name__)

# Raw snapshots (one per interval) for a week, then one per user and hour (the last of the
# hour) up to 90 days, then none: the 7d chart has 4-hour and the 30d chart 1-day points.
RAW_RETENTION = timedelta(days=7)
DEFAULT_RETENTION = timedelta(days=90)
PRUNE_EVERY = timedelta(hours=1)
_DELETE_CHUNK = 500

_COLUMNS = (
    snapshots_table.c.at,
    snapshots_table.c.portfolio_value_cents,
    snapshots_table.c.total_pnl_cents,
    snapshots_table.c.active_bots,
    snapshots_table.c.bot_count,
)


@dataclass(frozen=True)
class SnapshotSummary:
    """How many snapshots a user has and when the first and last were taken."""

    count: int
    first: datetime | None
    last: datetime | None


class SnapshotStore:
    """Writes snapshots of aggregations and buckets them into chart series."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        portfolio: PortfolioService | None = None,
        bot_store: BotStore | None = None,
        interval: float = 30.0,
        recent: Callable[[str], Portfolio | None] | None = None,
        retention: timedelta = DEFAULT_RETENTION,
        raw_retention: timedelta = RAW_RETENTION,
    ) -> None:
        self.db = db
        self.clock = clock
        # What a background pass aggregates with; `recent(user_id)` may offer an aggregation
        # the SSE hub just made: one younger than `interval` is stored instead of asking every
        # bot again.
        self.portfolio = portfolio
        self.bot_store = bot_store
        self.interval = interval
        self.recent = recent
        self.retention = retention
        self.raw_retention = raw_retention
        self._pruned_at: datetime | None = None

    async def record(self, portfolio: Portfolio) -> None:
        """Store one aggregation (taken at `portfolio.at`)."""
        async with self.db.engine.begin() as conn:
            await conn.execute(
                insert(snapshots_table).values(
                    id=new_id(),
                    user_id=portfolio.user_id,
                    at=portfolio.at,
                    portfolio_value_cents=portfolio.value_cents,
                    total_pnl_cents=portfolio.pnl_cents,
                    starting_capital_cents=portfolio.starting_cents,
                    active_bots=portfolio.active_bots,
                    bot_count=portfolio.bot_count,
                )
            )

    async def summary(self, user_id: str) -> SnapshotSummary:
        query = select(
            func.count(), func.min(snapshots_table.c.at), func.max(snapshots_table.c.at)
        ).where(snapshots_table.c.user_id == user_id)
        async with self.db.engine.connect() as conn:
            count, first, last = (await conn.execute(query)).one()
        return SnapshotSummary(int(count), first, last)

    async def series(self, user_id: str, names: Iterable[str]) -> dict[str, ChartSeries]:
        """Chart series of the named ranges (keys of `charts.RANGES`), all at one `now`."""
        now = self.clock()
        charts = [RANGES[name] for name in names]
        if not charts:
            return {}
        widest = max(charts, key=lambda c: c.span)
        start, _ = window(widest, now)
        found = await self.since(user_id, start)
        result = {}
        for chart in charts:
            chart_start, _ = window(chart, now)
            inside = [s for s in found if s.at >= chart_start]
            older = [s for s in found if s.at < chart_start]
            before = older[-1] if older else await self._last_before(user_id, chart_start)
            result[chart.name] = bucket(chart, now, inside, before)
        return result

    async def snapshot_pass(self) -> int:
        """One background pass (every `interval`): snapshot users with running bots, prune.

        Needs the store built with `portfolio` and `bot_store`. Returns the snapshots stored.
        """
        if self.portfolio is None or self.bot_store is None:
            raise RuntimeError("SnapshotStore needs portfolio= and bot_store= to take snapshots")
        stored = await self.snapshot_all(self.portfolio, self.bot_store, self.interval, self.recent)
        now = self.clock()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            await self.prune(now - self.retention)
            await self.downsample(now - self.retention, now - self.raw_retention)
            self._pruned_at = now
        return stored

    async def snapshot_all(
        self,
        portfolio: PortfolioService,
        bot_store: BotStore,
        interval: float,
        recent: Callable[[str], Portfolio | None] | None = None,
    ) -> int:
        """One pass: a snapshot of every user with a running bot; returns how many were stored."""
        stored = 0
        for user_id in await bot_store.user_ids_with_bots():
            fresh = recent(user_id) if recent is not None else None
            if fresh is None or (self.clock() - fresh.at).total_seconds() >= interval:
                try:
                    fresh = await portfolio.aggregate(user_id)
                except Exception:
                    logger.exception("aggregation for snapshot of user %s failed", user_id)
                    continue
            await self.record(fresh)
            stored += 1
        return stored

    async def prune(self, older_than: datetime) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(delete(snapshots_table).where(snapshots_table.c.at < older_than))

    async def downsample(self, start: datetime, end: datetime) -> int:
        """Keep one snapshot per user and hour (the hour's last) in [start, end); returns deleted.

        Done in Python over (id, user, time) so the hour bucket is the same on SQLite and
        PostgreSQL; after the first run only the hour that just left the raw week has extras.
        """
        query = (
            select(snapshots_table.c.id, snapshots_table.c.user_id, snapshots_table.c.at)
            .where(snapshots_table.c.at >= start, snapshots_table.c.at < end)
            .order_by(snapshots_table.c.user_id, snapshots_table.c.at.desc())
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        kept: set[tuple[str, datetime]] = set()
        doomed = []
        for snapshot_id, user_id, at in rows:
            hour = (user_id, at.replace(minute=0, second=0, microsecond=0))
            if hour in kept:
                doomed.append(snapshot_id)
            else:
                kept.add(hour)  # newest first: the first seen is the hour's last
        async with self.db.engine.begin() as conn:
            for first in range(0, len(doomed), _DELETE_CHUNK):
                chunk = doomed[first : first + _DELETE_CHUNK]
                await conn.execute(delete(snapshots_table).where(snapshots_table.c.id.in_(chunk)))
        if doomed:
            logger.info("downsampled snapshots: %d removed, %d hours kept", len(doomed), len(kept))
        return len(doomed)

    async def since(self, user_id: str, start: datetime) -> list[Snapshot]:
        """The user's snapshots taken at or after `start`, oldest first."""
        query = (
            select(*_COLUMNS)
            .where(snapshots_table.c.user_id == user_id, snapshots_table.c.at >= start)
            .order_by(snapshots_table.c.at)
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Snapshot(*row) for row in rows]

    async def _last_before(self, user_id: str, moment: datetime) -> Snapshot | None:
        query = (
            select(*_COLUMNS)
            .where(snapshots_table.c.user_id == user_id, snapshots_table.c.at < moment)
            .order_by(snapshots_table.c.at.desc())
            .limit(1)
        )
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else Snapshot(*row)
