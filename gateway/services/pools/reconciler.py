"""The reconciler: make what the pools run match what the database says, and log every fix.

The `bots` table is the authority. Each pass lists every pool's bots at once, then re-adds
bots a pool lost, starts or stops bots whose state drifted, removes bots nobody owns any more,
marks the bots of unreachable pools and refreshes what the pools report (state, API
credentials). Bots whose provisioning or deletion is in flight are left to their saga unless
it stalled. Every action and every new problem becomes a `reconcile_actions` row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import insert

from gateway.db.database import Database
from gateway.errors import ApiError, Conflict, NotFound, PoolUnreachable
from gateway.services.common import Clock, new_id
from gateway.services.pools.control import PoolControl, failure_text
from gateway.services.pools.directory import PoolDirectory, PoolRecord
from gateway.services.recorder import UNRECORDED, Recorder
from gateway.services.trading.botstore import BotRecord, BotStore
from migrations.schema import reconcile_actions

logger = logging.getLogger(__name__)

SpecBuilder = Callable[[BotRecord], Awaitable[dict[str, Any]]]
Listing = list[dict[str, Any]] | str  # a pool's bots, or why it did not answer

STALE_AFTER = timedelta(minutes=10)
LIST_TIMEOUT_S = 10.0
FATAL_RETRY_S = 300.0  # a fatal bot crashed repeatedly: retry it now and then, not every pass
NEEDS_START = frozenset({"stopped", "exited", "fatal"})
NEEDS_STOP = frozenset({"running", "starting", "backoff"})
# Answers that only mean someone else changed the bot first.
RACE_CODES = frozenset(
    {"BOT_EXISTS", "BOT_ALREADY_RUNNING", "BOT_NOT_RUNNING", "BOT_STOPPING", "BOT_BUSY"}
)


@dataclass(frozen=True)
class PoolCheck:
    """How one pool looked in a pass."""

    id: str
    status: str
    message: str
    details: dict[str, Any]


@dataclass(frozen=True)
class BotCheck:
    """How one bot looked in a pass."""

    id: str
    pool_id: str | None
    status: str
    message: str


@dataclass(frozen=True)
class Issue:
    """Something wrong the pass found (fixed or not)."""

    type: Literal["pool", "bot"]
    id: str
    status: str
    message: str
    pool_id: str | None = None


@dataclass(frozen=True)
class Action:
    """Something the pass changed."""

    action: str
    pool_id: str | None
    bot_id: str | None
    message: str


@dataclass
class ReconcileReport:
    """The outcome of one pass (O2)."""

    timestamp: datetime
    duration_ms: int = 0
    pools: list[PoolCheck] = field(default_factory=list)
    bots: list[BotCheck] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


@dataclass
class CleanupReport:
    """The outcome of one user's clean-up (O3)."""

    user_id: str
    checked_bots: int = 0
    removed_from_state: list[str] = field(default_factory=list)
    removed_from_pools: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def removed_bots(self) -> int:
        return len(self.removed_from_state) + len(self.removed_from_pools)


class Reconciler:
    """Compares `bots` with the pools and repairs the pools (one pass at a time)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        pools: PoolDirectory,
        bots: BotStore,
        spec_for: SpecBuilder,
        list_timeout: float = LIST_TIMEOUT_S,
        recorder: Recorder = UNRECORDED,
    ) -> None:
        self.db = db
        self.clock = clock
        self.pools = pools
        self.bots = bots
        self.spec_for = spec_for
        self.list_timeout = list_timeout
        self.recorder = recorder
        self._lock = asyncio.Lock()
        # Problems already recorded, so a lasting one is one row, not one per pass.
        self._open_problems: set[tuple[str, str]] = set()
        self._fatal_retried: dict[str, float] = {}

    async def run_once(self, user_id: str | None = None) -> ReconcileReport:
        """One pass over every pool, or over the pools holding this user's bots."""
        async with self._lock:
            started = time.monotonic()
            report = ReconcileReport(timestamp=self.clock())
            records = await self.pools.list()
            if user_id is not None:
                mine = {b.pool_id for b in await self.bots.list_all() if b.user_id == user_id}
                records = [r for r in records if r.id in mine]
            listings = await self._list_all(records)
            # Read the rows after the listings: a bot a saga adds meanwhile has its row first.
            rows = await self.bots.list_all()
            by_id = {row.id: row for row in rows}
            for record, listing in zip(records, listings, strict=True):
                on_pool = [
                    r for r in rows if r.pool_id == record.id and user_id in (None, r.user_id)
                ]
                if isinstance(listing, str):
                    await self._unreachable(report, record, listing, on_pool)
                else:
                    await self._reconcile_pool(report, record, listing, on_pool, by_id, user_id)
            report.duration_ms = round((time.monotonic() - started) * 1000)
            logger.info(
                "reconcile pass%s: %d pools, %d bots, %d issues, %d actions in %d ms",
                "" if user_id is None else f" for {user_id}",
                len(report.pools),
                len(report.bots),
                len(report.issues),
                len(report.actions),
                report.duration_ms,
            )
            return report

    async def cleanup(self, user_id: str) -> CleanupReport:
        """Remove the user's orphaned bots from every pool and bots without a pool from `bots`."""
        async with self._lock:
            result = CleanupReport(user_id)
            records = await self.pools.list()
            listings = await self._list_all(records)
            rows = await self.bots.list_all()
            by_id = {row.id: row for row in rows}
            checked: set[str] = set()
            for record, listing in zip(records, listings, strict=True):
                if isinstance(listing, str):
                    result.errors.append(f"pool {record.id}: {listing}")
                    continue
                for pool_bot in listing:
                    bot_id = str(pool_bot["bot_id"])
                    if pool_bot.get("owner") != user_id:
                        continue
                    checked.add(bot_id)
                    if not self._is_orphan(by_id.get(bot_id), record.id):
                        continue
                    error = await self._remove_orphan(None, record.id, bot_id, user_id)
                    if error:
                        result.errors.append(f"{bot_id}: {error}")
                    else:
                        result.removed_from_pools.append(bot_id)
            known = {r.id for r in records}
            for row in rows:
                if row.user_id != user_id:
                    continue
                checked.add(row.id)
                if self._lost(row, known):
                    await self.bots.delete(row.id)
                    await self._record("removed_from_state", row.pool_id, row.id, user_id, "")
                    result.removed_from_state.append(row.id)
            result.checked_bots = len(checked)
            logger.info(
                "cleanup for %s: %d removed from pools, %d from state, %d errors",
                user_id,
                len(result.removed_from_pools),
                len(result.removed_from_state),
                len(result.errors),
            )
            return result

    # -- one pool -------------------------------------------------------------------------------

    async def _list_all(self, records: list[PoolRecord]) -> list[Listing]:
        return list(await asyncio.gather(*(self._list(r.id) for r in records)))

    async def _list(self, pool_id: str) -> Listing:
        try:
            return await self.pools.control(pool_id).list_bots(timeout=self.list_timeout)
        except ApiError as exc:
            return failure_text(exc)

    async def _unreachable(
        self, report: ReconcileReport, record: PoolRecord, error: str, on_pool: list[BotRecord]
    ) -> None:
        report.pools.append(
            PoolCheck(record.id, "unreachable", error, {"supervisor": "unreachable"})
        )
        await self._problem(report, "pool", record.id, "unreachable", error, pool_id=record.id)
        message = f"pool {record.id} is unreachable: {error}"
        for row in on_pool:
            if row.desired_state not in ("running", "stopped"):
                continue
            report.bots.append(BotCheck(row.id, record.id, "unreachable", message))
            report.issues.append(Issue("bot", row.id, "unreachable", message, record.id))
            if row.observed_state != "unreachable":
                await self.bots.update(row.id, observed_state="unreachable", status_message=message)
                await self._act(report, "marked_unreachable", record.id, row, message)

    async def _reconcile_pool(
        self,
        report: ReconcileReport,
        record: PoolRecord,
        listing: list[dict[str, Any]],
        on_pool: list[BotRecord],
        by_id: dict[str, BotRecord],
        user_id: str | None,
    ) -> None:
        self._resolved(record.id)
        fatal = sum(1 for b in listing if b.get("state") == "fatal")
        report.pools.append(
            PoolCheck(
                record.id,
                "degraded" if fatal else "healthy",
                f"{len(listing)} bots" + (f", {fatal} fatal" if fatal else ""),
                {
                    "supervisor": "running",
                    "metrics": {
                        "memoryUsageMB": record.memory_mb,
                        "cpuPercent": record.cpu_percent,
                        "bots": len(listing),
                    },
                },
            )
        )
        seen = {str(b["bot_id"]): b for b in listing}
        for row in on_pool:
            await self._reconcile_bot(report, record.id, row, seen.get(row.id))
        for bot_id, pool_bot in seen.items():
            if not self._is_orphan(by_id.get(bot_id), record.id):
                continue
            owner = str(pool_bot.get("owner", ""))
            if user_id is not None and owner != user_id:
                continue
            message = "no bot in the database owns it here"
            report.issues.append(Issue("bot", bot_id, "orphaned", message, record.id))
            error = await self._remove_orphan(report, record.id, bot_id, owner)
            report.bots.append(
                BotCheck(bot_id, record.id, "failed" if error else "removed", error or message)
            )

    # -- one bot --------------------------------------------------------------------------------

    async def _reconcile_bot(
        self,
        report: ReconcileReport,
        pool_id: str,
        row: BotRecord,
        pool_bot: dict[str, Any] | None,
    ) -> None:
        desired = row.desired_state
        if desired == "deleting":
            return
        if desired == "provisioning":
            if not self._stale(row):
                report.bots.append(BotCheck(row.id, pool_id, "provisioning", "being provisioned"))
                return
            desired = "running"  # the saga stalled after the user asked for a running bot
        try:
            view = await self._converge(report, pool_id, row, desired, pool_bot)
        except ApiError as exc:
            message = f"could not bring {row.id} to {desired}: {failure_text(exc)}"
            await self._problem(
                report, "bot", row.id, "failed", message, pool_id=pool_id, user_id=row.user_id
            )
            report.bots.append(BotCheck(row.id, pool_id, "failed", message))
            return
        self._resolved(row.id)
        if view is not None:
            await self.bots.record_seen(row.id, view)
        if row.desired_state == "provisioning":
            await self.bots.update(row.id, desired_state="running")
            await self._act(report, "resumed_provisioning", pool_id, row, "stalled saga finished")
        state = str(view["state"]) if view else row.observed_state
        report.bots.append(BotCheck(row.id, pool_id, state, f"desired {desired}"))

    async def _converge(
        self,
        report: ReconcileReport,
        pool_id: str,
        row: BotRecord,
        desired: str,
        pool_bot: dict[str, Any] | None,
    ) -> dict[str, Any] | None:
        """Bring the pool's copy of the bot to `desired`; returns the pool's latest view."""
        pool = self.pools.control(pool_id)
        try:
            if pool_bot is None:
                view = await pool.add_bot(await self.spec_for(row))
                if desired == "stopped":
                    view = await pool.stop_bot(row.id)
                report.issues.append(Issue("bot", row.id, "missing", "not in its pool", pool_id))
                await self._act(report, "readded", pool_id, row, f"re-added, {desired}")
                return view
            state = str(pool_bot.get("state"))
            if pool_bot.get("busy"):
                return pool_bot
            if desired == "running" and state in NEEDS_START and self._may_start(row.id, state):
                view = await self._start(pool, row, state)
                report.issues.append(Issue("bot", row.id, state, "should be running", pool_id))
                await self._act(report, "started", pool_id, row, f"was {state}")
                return view
            if desired == "stopped" and state in NEEDS_STOP:
                view = await pool.stop_bot(row.id)
                report.issues.append(Issue("bot", row.id, state, "should be stopped", pool_id))
                await self._act(report, "stopped", pool_id, row, f"was {state}")
                return view
            return pool_bot
        except Conflict as exc:
            if exc.code in RACE_CODES:
                logger.info("bot %s changed meanwhile on %s: %s", row.id, pool_id, exc.code)
                return None
            raise

    async def _start(self, pool: PoolControl, row: BotRecord, state: str) -> dict[str, Any]:
        """Start the bot. A fatal one that runs a store version gets that version's files
        again first (stored, not applied): a pool restored without its strategy checkouts, or
        on a new disk, refuses to start a bot whose checkout is gone."""
        if state == "fatal" and row.strategy_commit:
            spec = await self.spec_for(row)
            version = {"strategy": spec["strategy"], "strategy_version": spec["strategy_version"]}
            await pool.update_bot(row.id, version, restart=False)
        return await pool.start_bot(row.id)

    def _may_start(self, bot_id: str, state: str) -> bool:
        if state != "fatal":
            self._fatal_retried.pop(bot_id, None)
            return True
        last = self._fatal_retried.get(bot_id)
        now = time.monotonic()
        if last is not None and now - last < FATAL_RETRY_S:
            return False
        self._fatal_retried[bot_id] = now
        return True

    async def _remove_orphan(
        self, report: ReconcileReport | None, pool_id: str, bot_id: str, owner: str
    ) -> str:
        """Remove a bot nobody owns from its pool; returns '' or the error."""
        try:
            await self.pools.control(pool_id).remove_bot(bot_id)
        except NotFound:
            pass  # already gone, which is what we wanted
        except PoolUnreachable as exc:
            return failure_text(exc)
        except ApiError as exc:  # the pool answered: a lasting problem worth a row
            message = f"could not remove orphan {bot_id}: {exc.message}"
            if report is not None:
                await self._problem(
                    report, "bot", bot_id, "failed", message, pool_id=pool_id, user_id=owner
                )
            return exc.message
        logger.warning("removed orphan bot %s from pool %s (owner %s)", bot_id, pool_id, owner)
        await self._record("removed_orphan", pool_id, bot_id, owner or None, "")
        if report is not None:
            report.actions.append(Action("removed_orphan", pool_id, bot_id, "orphan removed"))
        return ""

    # -- rules ----------------------------------------------------------------------------------

    def _stale(self, row: BotRecord) -> bool:
        """A saga that began over STALE_AFTER ago has stalled (provisioning counts from the
        row's birth, since pool reports keep touching `updated_at`)."""
        began = row.created_at if row.desired_state == "provisioning" else row.updated_at
        return self.clock() - began > STALE_AFTER

    def _is_orphan(self, row: BotRecord | None, pool_id: str) -> bool:
        """A pool's bot that no row places there (a stalled saga's bot included)."""
        if row is None:
            return True
        if row.desired_state == "deleting":
            return self._stale(row)
        if row.desired_state == "provisioning" and not self._stale(row):
            return False
        return row.pool_id != pool_id

    def _lost(self, row: BotRecord, known_pools: set[str]) -> bool:
        """A row for a bot no pool can hold: no pool (any more), or a deletion that stalled."""
        if row.desired_state in ("provisioning", "deleting") and not self._stale(row):
            return False
        if row.desired_state == "deleting":
            return True
        return row.pool_id is None or row.pool_id not in known_pools

    # -- recording ------------------------------------------------------------------------------

    async def _act(
        self, report: ReconcileReport, action: str, pool_id: str, row: BotRecord, message: str
    ) -> None:
        logger.warning("reconcile: %s bot %s on pool %s (%s)", action, row.id, pool_id, message)
        report.actions.append(Action(action, pool_id, row.id, message))
        await self._record(action, pool_id, row.id, row.user_id, message)

    async def _problem(
        self,
        report: ReconcileReport,
        kind: Literal["pool", "bot"],
        subject: str,
        status: str,
        message: str,
        *,
        pool_id: str | None = None,
        user_id: str | None = None,
    ) -> None:
        if kind == "bot":
            report.issues.append(Issue(kind, subject, status, message, pool_id))
        else:
            report.issues.append(Issue(kind, subject, status, message))
        key = (subject, status)
        if key in self._open_problems:
            logger.debug("still %s: %s", status, message)
            return
        self._open_problems.add(key)
        logger.warning("reconcile problem: %s", message)
        bot_id = subject if kind == "bot" else None
        await self._record(f"problem_{status}", pool_id, bot_id, user_id, message)

    def _resolved(self, subject: str) -> None:
        self._open_problems = {p for p in self._open_problems if p[0] != subject}

    async def _record(
        self,
        action: str,
        pool_id: str | None,
        bot_id: str | None,
        user_id: str | None,
        detail: str,
    ) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                insert(reconcile_actions).values(
                    id=new_id(),
                    at=self.clock(),
                    pool_id=pool_id,
                    bot_id=bot_id,
                    user_id=user_id,
                    action=action,
                    detail=detail[:1000],
                )
            )
        self.recorder.reconciler_action(action)
