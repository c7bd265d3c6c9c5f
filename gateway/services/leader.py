"""One leader among the gateway's replicas: a lease row in the database, renewed by its holder.

The reconciler, the trade monitor, snapshots and pause expiry must run on one replica at a
time (gateway/background.py). Whoever holds the `background` row of `leases` runs them.

Why a table lease and not a PostgreSQL advisory lock: an advisory lock lives as long as the
session that took it. When the holder is cut off by a network partition, the server keeps the
lock on the half-open connection until TCP keepalive gives up on it (two hours by default),
so nobody takes over; and the cut-off holder cannot tell when the server let go, so it cannot
know when to stop. A lease expires at a time written in the row, on the database's clock, and
works the same on SQLite (the embedded gateway; two processes on one file).

Why two leaders never run together. Acquire and renew are one conditional statement (take
the row when it is free, expired or already mine) stamped with the *database's* clock, so the
replicas' own clocks never meet and their skew does not matter. The holder notes its
monotonic time `sent` before it sends the statement; the database runs it later, so the row's
`expires_at` (its now + ttl) is never before `sent + ttl` in real time, and no other replica
can take the row before then. The holder believes it leads only until `sent + ttl - margin`
(`Leadership.is_leader` checks that deadline each time it is asked, so even a stalled event
loop cannot stretch it). A renewal that fails, finds another holder, or has not answered by
the deadline ends the leadership at once. A pass already running when leadership ends is
left to finish (cancelling a query could leave its transaction open); `term`, raised with
every new holding, is the fencing token for work that must refuse a deposed leader's writes.

Take-over: followers try every `interval`; a dead holder's row expires at most `ttl` after
its last renewal, so a follower holds it within `ttl + interval`. A holder shutting down
expires its row, and the next follower's try takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text, text
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeEngine

from gateway.db.database import Database
from migrations.schema import UtcDateTime

logger = logging.getLogger(__name__)

BACKGROUND_LEASE = "background"
MARGIN_FRACTION = 0.1  # the holder stops this share of the ttl before the row expires

# The database's now, as UTC without zone (the `UtcDateTime` columns), and now + :ttl seconds.
# SQLite: text in SQLAlchemy's own format (6 fraction digits), so text order is time order.
_NOW = {
    "postgresql": "(now() AT TIME ZONE 'UTC')",
    "sqlite": "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')",
}
_EXPIRY = {
    "postgresql": "(now() AT TIME ZONE 'UTC') + make_interval(secs => :ttl)",
    "sqlite": "(strftime('%Y-%m-%d %H:%M:%f', 'now', :shift) || '000')",
}
# Renewal (mine, not expired) keeps term and acquired_at; a take-over starts a new term.
_ACQUIRE = """
INSERT INTO leases (name, holder, term, acquired_at, expires_at)
VALUES (:name, :holder, 1, {now}, {expiry})
ON CONFLICT (name) DO UPDATE SET
    holder = excluded.holder,
    term = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.acquired_at
        THEN leases.term ELSE leases.term + 1 END,
    acquired_at = CASE
        WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.acquired_at
        THEN leases.acquired_at ELSE excluded.acquired_at END,
    expires_at = excluded.expires_at
WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at
RETURNING holder, term, acquired_at, expires_at
"""
_CURRENT = """
SELECT holder, term, acquired_at, expires_at FROM leases
WHERE name = :name AND expires_at > {now}
"""
# Expired rather than deleted: `term` keeps growing across holders.
_RELEASE = """
UPDATE leases SET expires_at = {now}
WHERE name = :name AND holder = :holder AND expires_at > {now}
"""
_COLUMNS: dict[str, TypeEngine[Any]] = {
    "holder": Text(),
    "term": BigInteger(),
    "acquired_at": UtcDateTime(),
    "expires_at": UtcDateTime(),
}


def default_replica_id() -> str:
    """hostname-pid-random: unique among replicas, also for two processes on one host."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Holding:
    """A lease's row: who holds it, since when and until when (the database's clock)."""

    holder: str
    term: int
    acquired_at: datetime
    expires_at: datetime


class Lease:
    """One named row of `leases`, taken and given back for `holder`: the SQL, no timing."""

    def __init__(self, db: Database, name: str, holder: str, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError("a lease needs a positive ttl")
        self.db = db
        self.name = name
        self.holder = holder
        self.ttl = ttl
        dialect = "sqlite" if db.is_sqlite else "postgresql"
        self._acquire = _typed(_ACQUIRE.format(now=_NOW[dialect], expiry=_EXPIRY[dialect]))
        self._current = _typed(_CURRENT.format(now=_NOW[dialect]))
        self._release = text(_RELEASE.format(now=_NOW[dialect]))
        self._params: dict[str, object] = {"name": name, "holder": holder}
        if db.is_sqlite:
            self._params["shift"] = f"+{ttl:.6f} seconds"
        else:
            self._params["ttl"] = ttl

    async def acquire(self) -> Holding | None:
        """Take or renew the lease for `ttl` seconds; None when another holder has it."""
        async with self.db.begin_write() as conn:
            row = (await conn.execute(self._acquire, self._params)).first()
        return None if row is None else Holding(*row)

    async def current(self) -> Holding | None:
        """Who holds the lease now (an expired row counts as nobody)."""
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(self._current, {"name": self.name})).first()
        return None if row is None else Holding(*row)

    async def release(self) -> None:
        """Give the lease back if `holder` has it, so another replica takes it at once."""
        async with self.db.begin_write() as conn:
            await conn.execute(self._release, {"name": self.name, "holder": self.holder})


def _typed(sql: str) -> TextualSelect:
    return text(sql).columns(**_COLUMNS)


class Leadership:
    """Holds a `Lease` for as long as it can and says whether this replica leads right now.

    `run()` tries every `interval` seconds (a holder renews, a follower tries to take over);
    `leading`/`following` are set while it leads/follows, and `on_change` hears every switch.
    """

    def __init__(
        self,
        lease: Lease,
        *,
        interval: float,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        if not 0 < interval < lease.ttl * (1 - MARGIN_FRACTION):
            raise ValueError("the renew interval must be shorter than the lease's ttl")
        self.lease = lease
        self.interval = interval
        self.margin = lease.ttl * MARGIN_FRACTION
        self.on_change = on_change
        self.leading = asyncio.Event()
        self.following = asyncio.Event()
        self.following.set()
        self.holding: Holding | None = None  # the row as of the last good renewal
        self._deadline = 0.0  # monotonic time by which leadership ends without a renewal

    @property
    def replica(self) -> str:
        return self.lease.holder

    @property
    def is_leader(self) -> bool:
        """True while this replica holds the lease and its deadline has not passed."""
        return self.leading.is_set() and time.monotonic() < self._deadline

    async def run(self, stop: asyncio.Event) -> None:
        """Keep trying until `stop` is set; then step down and give the lease back."""
        while not stop.is_set():
            sent = await self.attempt()
            wait = max(0.0, sent + self.interval - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
        self._step_down("shutting down")
        try:
            await asyncio.wait_for(self.lease.release(), timeout=self.interval)
        except Exception as exc:  # the row then expires by itself within ttl
            logger.warning("could not give the %s lease back: %r", self.lease.name, exc)

    async def attempt(self) -> float:
        """One try to take or renew the lease; returns the monotonic time it was sent."""
        sent = time.monotonic()
        # A holder must hear back before its deadline; a follower before its next try.
        budget = self._deadline - sent if self.leading.is_set() else self.interval
        task = asyncio.ensure_future(self.lease.acquire())
        done, _ = await asyncio.wait({task}, timeout=max(budget, 0.0))
        if not done:
            # Not waited for: cancelling a query on a cut-off connection can hang in its
            # clean-up as long as the connection does, and the deadline will not wait.
            task.cancel()
            task.add_done_callback(_forget)
            self._step_down("the database did not answer the renewal in time")
            return sent
        try:
            holding = task.result()
        except Exception as exc:  # any failure: a holder that cannot renew must stop at once
            if self.leading.is_set():
                self._step_down(f"renewal failed: {exc!r}")
            else:
                logger.debug("could not try the %s lease: %r", self.lease.name, exc)
            return sent
        if holding is None:
            self._step_down("another replica holds the lease")
            return sent
        deadline = sent + self.lease.ttl - self.margin
        if time.monotonic() >= deadline:
            self._step_down("the renewal answered too late")
            return sent
        self._deadline = deadline
        self.holding = holding
        if not self.leading.is_set():
            logger.info(
                "replica %s now leads the background loops (term %d, since %s)",
                self.replica,
                holding.term,
                holding.acquired_at.isoformat(),
            )
            self._switch(True)
        return sent

    def _step_down(self, reason: str) -> None:
        self._deadline = 0.0
        if not self.leading.is_set():
            return
        logger.warning("replica %s no longer leads the background loops: %s", self.replica, reason)
        self._switch(False)

    def _switch(self, leading: bool) -> None:
        (self.leading if leading else self.following).set()
        (self.following if leading else self.leading).clear()
        if self.on_change is not None:
            self.on_change(leading)


def _forget(task: asyncio.Future[Holding | None]) -> None:
    """Collect an abandoned attempt's outcome (asyncio warns about unretrieved errors)."""
    if not task.cancelled() and task.exception() is not None:
        logger.debug("an abandoned lease attempt failed: %r", task.exception())
