"""The sync loop of one pool: every `interval` (and on demand) one pass over all its bots.

A pass reads each bot (reader.py, in a thread) and commits it (writer.py) in its own
transaction. A bot whose file cannot be read gets `last_error` and the pass goes on. When the
target database fails, the pass stops, nothing is acknowledged (the cursors stay where the last
commit left them, so the next pass re-reads everything since) and the loop retries with
exponential backoff; the bots are never touched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from runtime.sync.reader import Cursor, ReadError, Row, closed_trades, read_bot
from runtime.sync.writer import load_cursor, write_batch, write_error

logger = logging.getLogger(__name__)

BACKOFF_BASE = 1.0
BACKOFF_MAX = 60.0
BotFiles = Callable[[], list[tuple[str, Path]]]  # (bot_id, database path) of the pool's bots
# Told, after the commit that stored them, the trades of a bot seen closed for the first time.
OnClosed = Callable[[str, list[Row]], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def is_target_failure(exc: BaseException) -> bool:
    """True when the target database (not one bot's data) failed: connection, timeout."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError | TimeoutError | InterfaceError | OperationalError)


@dataclass
class BotSync:
    """In-memory sync state of one bot (the target holds the committed copy)."""

    bot_id: str
    cursor: Cursor | None = None  # None until loaded from the target
    last_synced_at: datetime | None = None
    lag_seconds: float | None = None
    last_error: str = ""
    error_count: int = 0  # consecutive failed passes; 0 after a success
    pending_rows: int = 0  # rows read by the last pass and not yet committed
    journal_mode: str = ""

    def describe(self, now: datetime) -> dict[str, Any]:
        cursor = self.cursor or Cursor()
        since = None
        if self.last_synced_at is not None:
            since = round((now - self.last_synced_at).total_seconds(), 3)
        return {
            "bot_id": self.bot_id,
            "last_trade_id": cursor.last_trade_id,
            "last_order_id": cursor.last_order_id,
            "last_lock_id": cursor.last_lock_id,
            "last_change_at": iso(cursor.last_change_at),
            "last_synced_at": iso(self.last_synced_at),
            "seconds_since_sync": since,
            "lag_seconds": self.lag_seconds,
            "trades": len(cursor.trade_ids),
            "orders": len(cursor.order_ids),
            "pending_rows": self.pending_rows,
            "journal_mode": self.journal_mode,
            "last_error": self.last_error,
            "error_count": self.error_count,
        }


class SyncWorker:
    """Copies the pool's bots' trades, orders and pair locks into `database_url`."""

    def __init__(
        self,
        database_url: str,
        pool_id: str,
        bots: BotFiles,
        interval: float = 15.0,
        *,
        read_timeout: float = 2.0,
        connect_timeout: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
        on_closed: OnClosed | None = None,
    ) -> None:
        self.on_closed = on_closed
        self.database_url = database_url
        self.pool_id = pool_id
        self.bots = bots
        self.interval = interval
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.clock = clock
        self.failures = 0  # consecutive target failures
        self.target_error = ""
        self.retry_at: float | None = None  # monotonic time of the next attempt after a failure
        self.last_pass_at: datetime | None = None
        self.started_at = clock()
        self.failures_total = 0  # failed passes and failed bot reads since the start
        self._state: dict[str, BotSync] = {}
        self._engine: AsyncEngine | None = None
        self._lock = asyncio.Lock()

    def _target(self) -> AsyncEngine:
        if self._engine is None:
            options: dict[str, Any] = {}
            if self.database_url.startswith("postgresql"):
                # Fail fast while the server is away; pre-ping drops connections it killed.
                options = {
                    "pool_pre_ping": True,
                    "pool_size": 2,
                    "connect_args": {"timeout": self.connect_timeout, "command_timeout": 30},
                }
            self._engine = create_async_engine(self.database_url, **options)
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def run(self) -> None:
        """Pass, wait `interval` (or the backoff after a target failure), repeat until cancelled."""
        logger.info("sync of pool %s every %.1f s", self.pool_id, self.interval)
        while True:
            await self.sync_now()
            await asyncio.sleep(self.interval if self.failures == 0 else self.backoff())

    def backoff(self) -> float:
        """Delay before the next attempt after `failures` target failures in a row."""
        return float(min(BACKOFF_BASE * 2 ** max(self.failures - 1, 0), BACKOFF_MAX))

    async def sync_now(self) -> dict[str, Any]:
        """One pass over every bot now (passes never overlap); returns the status."""
        async with self._lock:
            await self._pass()
        return self.status()

    async def _pass(self) -> None:
        files = self.bots()
        for bot_id, path in files:
            state = self._state.setdefault(bot_id, BotSync(bot_id))
            try:
                await self._sync_bot(state, path)
            except Exception as exc:
                if not is_target_failure(exc):
                    logger.exception("sync of bot %s failed", bot_id)
                    self._bot_failed(state, f"{type(exc).__name__}: {exc}")
                    continue
                self._target_failed(exc)
                return
        self.last_pass_at = self.clock()
        if self.failures:
            logger.info("target database of pool %s is back", self.pool_id)
        self.failures = 0
        self.target_error = ""
        self.retry_at = None

    async def _sync_bot(self, state: BotSync, path: Path) -> None:
        engine = self._target()
        if state.cursor is None:
            async with engine.connect() as conn:
                state.cursor = await load_cursor(conn, state.bot_id)
        try:
            batch = await asyncio.to_thread(read_bot, path, state.cursor, self.read_timeout)
        except ReadError as exc:
            self._bot_failed(state, str(exc))
            async with engine.begin() as conn:
                now = self.clock()
                await write_error(
                    conn, self.pool_id, state.bot_id, state.last_error, state.error_count, now
                )
            return
        state.pending_rows = batch.rows
        now = self.clock()
        async with engine.begin() as conn:
            new = await write_batch(conn, self.pool_id, state.bot_id, batch, state.cursor, now)
        self._report_closed(state.bot_id, closed_trades(batch, state.cursor))
        if batch.rows and batch.newest_change is not None:
            state.lag_seconds = max(0.0, (now - batch.newest_change).total_seconds())
        state.cursor = new
        state.last_synced_at = now
        state.pending_rows = 0
        state.journal_mode = batch.journal_mode
        if state.error_count:
            logger.info("sync of bot %s recovered", state.bot_id)
        state.last_error = ""
        state.error_count = 0

    def seconds_since_pass(self) -> float:
        """Age of the last successful pass (of the worker itself before the first one)."""
        since = self.last_pass_at or self.started_at
        return max(0.0, (self.clock() - since).total_seconds())

    def _report_closed(self, bot_id: str, closed: list[Row]) -> None:
        if not closed or self.on_closed is None:
            return
        try:
            self.on_closed(bot_id, closed)
        except Exception:  # a listener never stops the sync
            logger.exception("listener of closed trades of bot %s failed", bot_id)

    def _bot_failed(self, state: BotSync, error: str) -> None:
        self.failures_total += 1
        if state.last_error != error:
            logger.warning("sync of bot %s: %s", state.bot_id, error)
        state.last_error = error
        state.error_count += 1

    def _target_failed(self, exc: BaseException) -> None:
        self.failures += 1
        self.failures_total += 1
        self.target_error = f"{type(exc).__name__}: {exc}"[:500]
        self.retry_at = time.monotonic() + self.backoff()
        log = logger.warning if self.failures == 1 else logger.debug
        log("target database of pool %s failed (%d): %s", self.pool_id, self.failures, exc)

    def status(self) -> dict[str, Any]:
        """The worker's state: the target's health and one entry per bot."""
        now = self.clock()
        retry_in = None
        if self.retry_at is not None:
            retry_in = round(max(0.0, self.retry_at - time.monotonic()), 3)
        present = {bot_id for bot_id, _ in self.bots()}
        return {
            "enabled": True,
            "pool_id": self.pool_id,
            "interval": self.interval,
            "last_pass_at": iso(self.last_pass_at),
            "target": {
                "ok": self.failures == 0,
                "failures": self.failures,
                "last_error": self.target_error,
                "retry_in": retry_in,
            },
            "bots": [
                self._state[bot_id].describe(now)
                for bot_id in sorted(self._state)
                if bot_id in present
            ],
        }
