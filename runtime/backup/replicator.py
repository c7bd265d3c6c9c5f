"""Replicate every bot's SQLite to the Turso backup database, one bot at a time, forever.

Runs as a task of the pool supervisor. Each pass of a bot reads its changes in a thread (the
event loop that supervises the bots never blocks on a file), then sends them in one libsql
batch, all under a timeout. A failure only touches that bot's state (degraded, exponential
backoff); a Turso outage degrades each bot on its own schedule and they all catch up when it
returns, because the high-water marks only move after a successful batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runtime.backup import remote
from runtime.backup.reader import BotMarks, Changes, NoDatabase, read_changes
from runtime.backup.state import DEGRADED, BotBackupState

logger = logging.getLogger(__name__)

MIN_SLEEP_S = 0.05
MIN_PASS_TIMEOUT_S = 20.0


class RemoteError(Exception):
    """The backup database failed (unreachable, refused, timed out)."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500] if str(exc) else type(exc).__name__


class Replicator:
    """Backup schedule and state of every bot of one pool."""

    def __init__(
        self,
        url: str,
        token: str,
        pool_id: str,
        bots: Callable[[], Mapping[str, Path]],
        *,
        interval: float = 30.0,
        pass_timeout: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._token = token
        self.pool_id = pool_id
        self._bots = bots
        self.interval = interval
        self.pass_timeout = pass_timeout or max(MIN_PASS_TIMEOUT_S, interval)
        self._clock = clock
        self.states: dict[str, BotBackupState] = {}
        self._marks: dict[str, BotMarks] = {}
        self._client: Any = None

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    # -- schedule ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Back up every due bot, sleep until the next one is due; until cancelled."""
        logger.info(
            "Turso backup of pool %s to %s every %.1fs", self.pool_id, self.url, self.interval
        )
        try:
            while True:
                await self.run_due()
                await asyncio.sleep(self._sleep_s())
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the connection to the backup database (a later pass reopens it)."""
        await self._drop_client()

    async def run_due(self) -> None:
        """One round: a pass for every bot whose next attempt has come."""
        bots = dict(self._bots())
        for gone in set(self.states) - set(bots):
            del self.states[gone]
            self._marks.pop(gone, None)
        for bot_id in bots:
            self.states.setdefault(bot_id, BotBackupState(bot_id, next_attempt=self._clock()))
        due = [s for s in self.states.values() if s.due(self._clock())]
        for state in sorted(due, key=lambda s: s.next_attempt):
            await self.backup_bot(state.bot_id, bots[state.bot_id])

    def _sleep_s(self) -> float:
        now = self._clock()
        soonest = min((s.next_attempt for s in self.states.values()), default=now + self.interval)
        return min(max(soonest - now, MIN_SLEEP_S), self.interval)

    # -- one pass ---------------------------------------------------------------------------
    async def backup_bot(self, bot_id: str, database: Path) -> None:
        """One pass of one bot; its outcome lands in its state, never raises."""
        state = self.states.setdefault(bot_id, BotBackupState(bot_id))
        try:
            async with asyncio.timeout(self.pass_timeout):
                sent = await self._pass(bot_id, database)
        except NoDatabase:
            state.no_database(self._clock(), self.interval)
            return
        except Exception as exc:  # any failure is this bot's alone
            if isinstance(exc, RemoteError | TimeoutError):
                await self._drop_client()  # reconnect next time (a dropped websocket stays dead)
            was = state.status
            state.failed(self._clock(), self.interval, _describe(exc.__cause__ or exc))
            log = logger.debug if was == DEGRADED else logger.warning
            log(
                "backup of bot %s failed (%d in a row, next in %.1fs): %s",
                bot_id,
                state.consecutive_failures,
                state.next_attempt - self._clock(),
                state.last_error,
            )
            return
        if state.status == DEGRADED:
            logger.info("backup of bot %s recovered", bot_id)
        state.succeeded(self._clock(), self.interval, sent)

    async def _pass(self, bot_id: str, database: Path) -> int:
        marks = self._marks.get(bot_id, BotMarks())
        known = None
        if marks.first_pass:
            known = await self._remote(lambda c: remote.remote_ids(c, bot_id))
        changes: Changes = await asyncio.to_thread(read_changes, database, marks, known)
        # Sent even when nothing changed: it refreshes `bot_backups.last_success`, and a pass
        # only counts as a success when the backup database really answered.
        stmts = remote.pass_statements(bot_id, self.pool_id, changes, self._clock())
        await self._remote(lambda c: c.batch(stmts))
        self._marks[bot_id] = changes.marks
        return changes.size

    async def _remote(self, call: Callable[[Any], Any]) -> Any:
        try:
            if self._client is None:
                client = remote.connect(self.url, self._token)
                self._client = client
                await remote.ensure_schema(client)
            return await call(self._client)
        except (asyncio.CancelledError, TimeoutError):
            raise
        except Exception as exc:
            raise RemoteError(_describe(exc)) from exc

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.close()
            except Exception as exc:  # closing a broken connection may fail too
                logger.debug("closing the Turso client failed: %s", exc)

    # -- status -----------------------------------------------------------------------------
    def now(self) -> float:
        """The replicator's clock (Unix seconds)."""
        return self._clock()

    def status(self) -> dict[str, Any]:
        """The JSON view of `GET /backup`."""
        now = self._clock()
        bots = [self.states[b].as_dict(now) for b in sorted(self.states)]
        return {
            "enabled": self.enabled,
            "url": self.url.split("?", 1)[0],  # a query may carry `authToken`
            "interval_s": self.interval,
            "bots": bots,
            "degraded": sum(1 for b in bots if b["status"] == DEGRADED),
        }
