"""The pool directory on SQLite and PostgreSQL: registry, clients, health and placement load."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import update

from gateway.db.database import Database
from gateway.errors import Unavailable
from gateway.services.common import utcnow
from gateway.services.pools.directory import PoolDirectory, status_from_health
from gateway.services.trading.botstore import BotStore, DesiredState
from gateway.services.trading.placement import PoolLoad
from migrations.schema import pools
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.gateway.conftest import migrate
from tests.gateway.factories import create_bot_row, create_user_row
from tests.helpers import free_port


def dead_url() -> str:
    """A local URL nothing listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class Ctx:
    db: Database
    url: str

    def directory(self, configured: list[tuple[str, str]] | None = None) -> PoolDirectory:
        return PoolDirectory(
            self.db, utcnow, token=POOL_TOKEN, timeout=10, configured=configured or []
        )

    async def user(self, name: str = "alice") -> str:
        return await create_user_row(self.db, name)

    async def bot(
        self, bot_id: str, user_id: str, pool_id: str | None, desired: DesiredState = "running"
    ) -> None:
        await create_bot_row(BotStore(self.db, utcnow), bot_id, user_id, pool_id, desired)

    async def set_status(self, pool_id: str, status: str, capacity: int) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(pools).where(pools.c.id == pool_id).values(status=status, capacity=capacity)
            )


@pytest.fixture
async def ctx(db_url: str) -> AsyncIterator[Ctx]:
    await migrate(db_url)
    db = Database(db_url)
    try:
        yield Ctx(db, db_url)
    finally:
        await db.close()


async def test_configured_pools_are_recorded_and_get_controls(ctx: Ctx) -> None:
    url = dead_url()
    directory = ctx.directory([("p1", url)])
    await directory.start()
    try:
        [record] = await directory.list()
        assert (record.id, record.control_url, record.source, record.status) == (
            "p1",
            url,
            "settings",
            "unknown",
        )
        assert directory.control("p1").url == url
        with pytest.raises(Unavailable) as excinfo:
            directory.control("nope")
        assert excinfo.value.code == "POOL_UNKNOWN"
    finally:
        await directory.close()


async def test_announced_pools_are_recorded_and_known_after_a_restart(ctx: Ctx) -> None:
    first, moved = dead_url(), dead_url()
    directory = ctx.directory()
    await directory.start()
    try:
        record = await directory.announce("edge-1", first + "/", "host-a", capacity=7)
        assert (record.control_url, record.source, record.host_label, record.capacity) == (
            first,
            "announced",
            "host-a",
            7,
        )
        # The gateway checks the pool at once: nothing listens, so it is unreachable.
        assert record.status == "unreachable" and record.last_error
        record = await directory.announce("edge-1", moved, "")
        assert record.control_url == moved and record.host_label == "host-a"
        assert directory.control("edge-1").url == moved
    finally:
        await directory.close()
    # A new gateway process knows the pool from the database before it announces again.
    again = ctx.directory()
    await again.start()
    try:
        assert again.control("edge-1").url == moved
    finally:
        await again.close()


async def test_settings_keep_the_url_of_a_pool_they_name(ctx: Ctx) -> None:
    configured = dead_url()
    directory = ctx.directory([("p1", configured)])
    await directory.start()
    try:
        record = await directory.announce("p1", dead_url(), "elsewhere")
        assert (record.control_url, record.source, record.host_label) == (
            configured,
            "settings",
            "elsewhere",
        )
    finally:
        await directory.close()


async def test_an_unreachable_pool_keeps_its_last_error_and_numbers(ctx: Ctx) -> None:
    directory = ctx.directory([("p1", dead_url())])
    await directory.start()
    try:
        await ctx.set_status("p1", "healthy", 5)
        await directory.check_health()
        [record] = await directory.list()
        assert record.status == "unreachable"
        assert record.capacity == 5 and record.last_error
        assert await directory.placement_candidates() == []
    finally:
        await directory.close()


async def test_placement_load_comes_from_the_database(ctx: Ctx) -> None:
    directory = ctx.directory([("p1", dead_url()), ("p2", dead_url()), ("p3", dead_url())])
    await directory.start()
    try:
        await ctx.set_status("p1", "healthy", 4)
        await ctx.set_status("p2", "healthy", 2)
        await ctx.set_status("p3", "degraded", 9)
        alice = await ctx.user()
        await ctx.bot("a1", alice, "p1")
        await ctx.bot("a2", alice, "p1", "stopped")
        await ctx.bot("a3", alice, "p1", "deleting")
        await ctx.bot("a4", alice, "p3")
        await ctx.bot("a5", alice, None, "provisioning")
        assert await directory.placement_candidates() == [
            PoolLoad("p1", 4, 2),
            PoolLoad("p2", 2, 0),
        ]
        assert await directory.bot_counts() == {"p1": 2, "p3": 1}
        usage, placed = await directory.for_user(alice)
        assert [(u.pool.id, u.load, u.my_bots) for u in usage] == [
            ("p1", 2, ["a1", "a2"]),
            ("p2", 0, []),
            ("p3", 1, ["a4"]),
        ]
        assert [(b.bot_id, b.pool_id, b.slot_index) for b in placed] == [
            ("a1", "p1", 0),
            ("a2", "p1", 1),
            ("a4", "p3", 0),
        ]
    finally:
        await directory.close()


async def test_a_pool_recorded_by_another_replica_gets_a_control_here(ctx: Ctx) -> None:
    """Two gateway replicas on one database: a pool announced to one is usable by the other
    before its next health pass, and a moved pool's new URL reaches the other's control."""
    here, there = ctx.directory(), ctx.directory()
    await here.start()
    await there.start()
    try:
        first, moved = dead_url(), dead_url()
        await there.announce("p1", first, capacity=3)
        await ctx.set_status("p1", "healthy", 3)
        with pytest.raises(Unavailable):
            here.control("p1")  # not opened here yet
        assert await here.placement_candidates() == [PoolLoad("p1", 3, 0)]
        assert here.control("p1").url == first
        await there.announce("p1", moved, capacity=3)
        await here.check_health()
        assert here.control("p1").url == moved
    finally:
        await here.close()
        await there.close()


async def test_the_announcement_token_is_compared_exactly(ctx: Ctx) -> None:
    directory = ctx.directory()
    assert directory.accepts_token(POOL_TOKEN)
    assert not directory.accepts_token(POOL_TOKEN + "x")
    assert not directory.accepts_token("")
    closed = PoolDirectory(ctx.db, utcnow, token="", timeout=1, configured=[])
    assert not closed.accepts_token("")


def test_health_answers_map_to_statuses() -> None:
    assert status_from_health({"accepting": True, "states": {"running": 2, "fatal": 0}}) == (
        "healthy"
    )
    assert status_from_health({"accepting": True, "states": {"fatal": 1}}) == "degraded"
    assert status_from_health({"accepting": False, "states": {}}) == "degraded"


@pytest.fixture
async def sqlite_ctx(tmp_path: Path) -> AsyncIterator[Ctx]:
    """SQLite only, for the slow tests where the database is not what is being tested."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}"
    await migrate(url)
    db = Database(url)
    try:
        yield Ctx(db, url)
    finally:
        await db.close()


@pytest.mark.e2e
async def test_a_real_pool_reports_healthy_with_its_numbers(
    sqlite_ctx: Ctx, tmp_path: Path
) -> None:
    ctx = sqlite_ctx
    with running_pool(tmp_path / "pool", "http://127.0.0.1:9", pool_id="real", capacity=4) as pool:
        directory = ctx.directory([("real", pool.url)])
        await directory.start()
        try:
            await directory.check_health()
            await directory.check_health()  # the second answer carries a CPU measurement
            [record] = await directory.list()
            assert (record.status, record.capacity, record.bots_reported) == ("healthy", 4, 0)
            assert record.memory_mb is not None and record.memory_mb > 10
            assert record.cpu_percent is not None and record.cpu_percent >= 0
            assert record.last_seen is not None and record.last_error == ""
            assert await directory.placement_candidates() == [PoolLoad("real", 4, 0)]
        finally:
            await directory.close()
