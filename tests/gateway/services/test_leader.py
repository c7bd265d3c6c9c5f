"""The background loops' lease: one holder at a time on real SQLite and PostgreSQL databases.

Two `Lease`/`Leadership` objects stand for two gateway replicas on one database. A replica
"dies" by having its renewal task cancelled without giving the lease back (it then still
believes it leads until its own deadline, which is exactly what must end before anyone else
takes over); a sampler asks both replicas every few milliseconds whether they lead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import make_url

from gateway.background import lead
from gateway.db.database import Database
from gateway.services.leader import BACKGROUND_LEASE, Leadership, Lease
from tests.fixtures.private_postgres import PrivatePostgres
from tests.gateway.conftest import migrate
from tests.helpers import async_wait_until

TTL = 1.5
INTERVAL = TTL / 3


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    await migrate(db_url)
    database = Database(db_url)
    yield database
    await database.close()


@dataclass
class Replica:
    """One replica's leadership and its renewal task."""

    leadership: Leadership
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    changes: list[tuple[float, bool]] = field(default_factory=list)

    def start(self) -> Replica:
        self.task = asyncio.create_task(self.leadership.run(self.stop))
        return self

    async def die(self) -> None:
        """Stop renewing without giving the lease back (SIGKILL, a frozen process)."""
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def shut_down(self) -> None:
        """A graceful stop: the lease is given back."""
        assert self.task is not None
        self.stop.set()
        await asyncio.wait_for(self.task, timeout=10)


def replica(db: Database, name: str, ttl: float = TTL, interval: float = INTERVAL) -> Replica:
    lease = Lease(db, BACKGROUND_LEASE, name, ttl)
    made = Replica(Leadership(lease, interval=interval))
    made.leadership.on_change = lambda leading: made.changes.append((time.monotonic(), leading))
    return made


class Sampler:
    """Asks every replica whether it leads, every 2 ms, and keeps any instant two did."""

    def __init__(self, *replicas: Replica) -> None:
        self.replicas = list(replicas)
        self.samples = 0
        self.both: list[list[str]] = []
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            leaders = [r.leadership.replica for r in self.replicas if r.leadership.is_leader]
            if len(leaders) > 1:
                self.both.append(leaders)
            self.samples += 1
            await asyncio.sleep(0.002)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def leader_of(*replicas: Replica, within: float = 10) -> Replica:
    async def one() -> Replica | None:
        leading = [r for r in replicas if r.leadership.is_leader]
        return leading[0] if len(leading) == 1 else None

    return await async_wait_until(one, timeout=within, interval=0.01, what="one leader")


# -- the lease's SQL --------------------------------------------------------------------------


async def test_one_holder_renews_and_the_other_waits(db: Database) -> None:
    a = Lease(db, BACKGROUND_LEASE, "a", 30)
    b = Lease(db, BACKGROUND_LEASE, "b", 30)
    first = await a.acquire()
    assert first is not None and first.holder == "a"
    assert await b.acquire() is None  # held, not expired: refused
    renewed = await a.acquire()
    assert renewed is not None
    # A renewal keeps the term and the start, and pushes the expiry on.
    assert (renewed.term, renewed.acquired_at) == (first.term, first.acquired_at)
    assert renewed.expires_at > first.expires_at
    assert 29 < (renewed.expires_at - renewed.acquired_at).total_seconds() < 31
    assert await b.current() == renewed


async def test_an_expired_lease_goes_to_the_next_taker_with_a_new_term(db: Database) -> None:
    a = Lease(db, BACKGROUND_LEASE, "a", 0.5)
    b = Lease(db, BACKGROUND_LEASE, "b", 30)
    held = await a.acquire()
    assert held is not None
    assert await b.acquire() is None
    taken = await async_wait_until(b.acquire, timeout=5, interval=0.05, what="b takes over")
    assert taken.holder == "b" and taken.term == held.term + 1
    assert taken.acquired_at >= held.expires_at  # on the database's clock
    assert await a.acquire() is None  # the old holder cannot renew it back


async def test_release_hands_over_at_once(db: Database) -> None:
    a = Lease(db, BACKGROUND_LEASE, "a", 30)
    b = Lease(db, BACKGROUND_LEASE, "b", 30)
    held = await a.acquire()
    assert held is not None
    await b.release()  # not b's: nothing happens
    assert await b.acquire() is None
    await a.release()
    assert await a.current() is None
    taken = await b.acquire()
    assert taken is not None and taken.term == held.term + 1  # expired, not deleted


# -- leadership over time ---------------------------------------------------------------------


async def test_take_over_after_the_leader_dies_and_never_two_leaders(db: Database) -> None:
    live = [replica(db, "a").start(), replica(db, "b").start()]
    everyone = list(live)
    sampler = Sampler(*everyone)  # the dead stay sampled: their belief ends on its own
    hand_overs: list[float] = []
    try:
        for round_ in range(3):
            current = await leader_of(*live)
            other = next(r for r in live if r is not current)
            died = time.monotonic()
            await current.die()
            await leader_of(other, within=TTL + INTERVAL + 2)
            hand_overs.append(time.monotonic() - died)
            assert not current.leadership.is_leader
            revived = replica(db, f"{current.leadership.replica}-{round_}").start()
            everyone.append(revived)
            sampler.replicas.append(revived)
            live = [other, revived]
    finally:
        await sampler.close()
        for r in everyone:
            await r.die()
    assert sampler.samples > 500
    assert sampler.both == []
    # Within ttl + interval (plus a little for the statements themselves).
    assert max(hand_overs) < TTL + INTERVAL + 0.5, hand_overs
    print(f"take-over after a leader died: {[round(s, 2) for s in hand_overs]} s (ttl {TTL})")


async def test_a_graceful_stop_hands_over_within_one_interval(db: Database) -> None:
    a, b = replica(db, "a").start(), replica(db, "b").start()
    sampler = Sampler(a, b)
    try:
        current = await leader_of(a, b)
        other = b if current is a else a
        stopped = time.monotonic()
        await current.shut_down()
        assert not current.leadership.is_leader
        assert current.changes[-1][1] is False
        await leader_of(other, within=TTL)
        took = time.monotonic() - stopped
    finally:
        await sampler.close()
        await a.die()
        await b.die()
    assert sampler.both == []
    assert took < INTERVAL + 0.5, took  # the next try, not the ttl


async def test_leader_loops_run_only_on_the_leader(db: Database) -> None:
    """`background.lead`: the leader-only loops start on gaining the lease, stop on losing it."""
    passes: list[tuple[str, float]] = []
    replicas = [replica(db, "a").start(), replica(db, "b").start()]
    stops = [asyncio.Event(), asyncio.Event()]

    def counting(name: str) -> Callable[[], Awaitable[None]]:
        async def step() -> None:
            passes.append((name, time.monotonic()))

        return step

    leads = [
        asyncio.create_task(
            lead(r.leadership, {"reconciler": (0.05, counting(r.leadership.replica))}, stop)
        )
        for r, stop in zip(replicas, stops, strict=True)
    ]
    try:
        first = await leader_of(*replicas)
        await async_wait_until(lambda: _async(_count(passes, first) >= 5), timeout=5, what="passes")
        second = next(r for r in replicas if r is not first)
        assert _count(passes, second) == 0
        died = time.monotonic()
        await first.die()
        leads[replicas.index(first)].cancel()
        await async_wait_until(
            lambda: _async(_count(passes, second) >= 3), timeout=TTL + 3, what="b runs"
        )
        first_of_second = min(at for name, at in passes if name == second.leadership.replica)
        last_of_first = max(at for name, at in passes if name == first.leadership.replica)
        # The new leader's first pass comes after the old one's last (no overlap) and at once
        # on gaining the lease (within ttl + interval of the death).
        assert last_of_first < first_of_second < died + TTL + INTERVAL + 0.5
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*leads, return_exceptions=True)
        for r in replicas:
            await r.die()


def _count(passes: list[tuple[str, float]], r: Replica) -> int:
    return sum(1 for name, _ in passes if name == r.leadership.replica)


# -- the database going away ------------------------------------------------------------------


@pytest.mark.postgres
async def test_the_leader_steps_down_at_once_when_its_database_stops(
    private_postgres: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    url = private_postgres.create_database("lease")
    await migrate(url)
    db = Database(url)
    ttl = 3.0
    a = replica(db, "a", ttl=ttl, interval=1.0).start()
    try:
        await leader_of(a)
        with caplog.at_level(logging.WARNING, logger="gateway.services.leader"):
            cut = time.monotonic()
            private_postgres.stop()
            await async_wait_until(
                lambda: _async(not a.leadership.is_leader), timeout=ttl, what="a steps down"
            )
        lost = a.changes[-1]
        assert lost[1] is False
        # The last good renewal was sent at most one interval before the cut, so its lease
        # lasts until at least cut - interval + ttl: the holder let go well before that.
        assert lost[0] - cut < ttl - 1.0, lost[0] - cut
        assert any("renewal failed" in r.getMessage() for r in caplog.records)
        private_postgres.start()
        await leader_of(a, within=ttl + 5)  # back once the database is
    finally:
        await a.die()
        await db.close()


class FreezableProxy:
    """A TCP relay to PostgreSQL that can stop relaying while keeping its connections open:
    a network partition as the replica behind it sees it (no error, no answer)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.relaying = asyncio.Event()
        self.relaying.set()
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await self.relaying.wait()
            writer.write(data)
            await writer.drain()
        writer.close()

    async def close(self) -> None:
        self.relaying.set()
        if self.server is not None:
            self.server.close()
        for writer in self.writers:
            writer.close()


@pytest.fixture
def fresh_postgres(make_postgres_database: Callable[[], str]) -> str:
    """An empty database on the shared server (made outside the test's event loop)."""
    return make_postgres_database()


@pytest.mark.postgres
async def test_a_cut_off_leader_steps_down_before_the_other_takes_over(
    fresh_postgres: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = fresh_postgres
    await migrate(url)
    parsed = make_url(url)
    proxy = FreezableProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    proxied = parsed.set(port=await proxy.start()).render_as_string(hide_password=False)
    cut_off_db, direct_db = Database(proxied), Database(url)
    a = replica(cut_off_db, "a").start()
    b: Replica | None = None
    sampler: Sampler | None = None
    try:
        await leader_of(a)
        b = replica(direct_db, "b").start()
        sampler = Sampler(a, b)
        await asyncio.sleep(INTERVAL * 2)  # a renews through the proxy meanwhile
        assert a.leadership.is_leader and not b.leadership.is_leader
        with caplog.at_level(logging.WARNING, logger="gateway.services.leader"):
            proxy.relaying.clear()  # the renewals now hang, with no error
            cut = time.monotonic()
            await leader_of(b, within=TTL + INTERVAL + 2)
        lost_at, leading = a.changes[-1]
        assert leading is False
        gained_at = b.changes[-1][0]
        assert lost_at < gained_at  # a let go before b took over
        assert lost_at - cut < TTL  # by its own deadline, not when the connection gave up
        assert any("did not answer" in r.getMessage() for r in caplog.records)
        print(f"cut-off leader stepped down {lost_at - cut:.2f} s after the cut; "
              f"the other led {gained_at - cut:.2f} s after it")  # fmt: skip
    finally:
        if sampler is not None:
            await sampler.close()
        await proxy.close()
        for r in (a, b):
            if r is not None:
                await r.die()
        await cut_off_db.close()
        await direct_db.close()
    assert sampler.both == []


async def _async(value: bool) -> bool:  # a condition for async_wait_until
    return value
