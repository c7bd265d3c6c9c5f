"""The reconciler against real pool supervisors (and refused connections) on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.db.database import Database
from gateway.services.common import utcnow
from gateway.services.pools.directory import PoolDirectory
from gateway.services.pools.reconciler import Reconciler
from gateway.services.trading.botstore import BotRecord, BotStore, DesiredState
from migrations.schema import reconcile_actions
from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.gateway.conftest import migrate
from tests.gateway.factories import create_bot_row, create_user_row
from tests.helpers import async_wait_until, free_port


async def spec_for(record: BotRecord) -> dict[str, Any]:
    """The add-bot body, as the bot service builds it (without risk overrides)."""
    return {
        "bot_id": record.id,
        "owner": record.user_id,
        "strategy": record.strategy,
        "pairs": record.pairs,
        "stake_currency": record.stake_currency,
        "dry_run_wallet": record.wallet_cents / 100,
        "stake_amount": record.stake_amount_value,
        "max_open_trades": record.max_open_trades,
        "timeframe": record.timeframe,
    }


@dataclass
class Ctx:
    db: Database
    directory: PoolDirectory
    store: BotStore

    def reconciler(self, clock: Callable[[], datetime] = utcnow) -> Reconciler:
        return Reconciler(self.db, clock, pools=self.directory, bots=self.store, spec_for=spec_for)

    async def user(self, name: str) -> str:
        return await create_user_row(self.db, name)

    async def bot(
        self, bot_id: str, user_id: str, pool_id: str | None, desired: DesiredState = "running"
    ) -> BotRecord:
        return await create_bot_row(
            self.store, bot_id, user_id, pool_id, desired, wallet_cents=50_000
        )

    async def recorded(self) -> list[tuple[str, str | None]]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(reconcile_actions.c.action, reconcile_actions.c.bot_id).order_by(
                    reconcile_actions.c.at, reconcile_actions.c.action
                )
            )
            return [(r.action, r.bot_id) for r in rows]

    async def observed(self, bot_id: str) -> str:
        found = await self.store.find(bot_id)
        assert found is not None
        return found.observed_state


async def open_ctx(url: str, pools: list[tuple[str, str]]) -> Ctx:
    await migrate(url)
    db = Database(url)
    directory = PoolDirectory(db, utcnow, token=POOL_TOKEN, timeout=60, configured=pools)
    await directory.start()
    return Ctx(db, directory, BotStore(db, utcnow))


@pytest.fixture
async def dead_pool_ctx(db_url: str) -> AsyncIterator[Ctx]:
    """A database knowing one pool, "gone", whose control port refuses connections."""
    ctx = await open_ctx(db_url, [("gone", f"http://127.0.0.1:{free_port()}")])
    try:
        yield ctx
    finally:
        await ctx.directory.close()
        await ctx.db.close()


async def test_bots_of_an_unreachable_pool_are_marked_once(dead_pool_ctx: Ctx) -> None:
    ctx = dead_pool_ctx
    alice = await ctx.user("alice")
    await ctx.bot("a-run", alice, "gone", "running")
    await ctx.bot("a-stop", alice, "gone", "stopped")
    await ctx.bot("a-new", alice, "gone", "provisioning")
    reconciler = ctx.reconciler()

    first = await reconciler.run_once()
    assert [(p.id, p.status) for p in first.pools] == [("gone", "unreachable")]
    assert sorted((b.id, b.status) for b in first.bots) == [
        ("a-run", "unreachable"),
        ("a-stop", "unreachable"),
    ]
    assert {(i.type, i.id) for i in first.issues} == {
        ("pool", "gone"),
        ("bot", "a-run"),
        ("bot", "a-stop"),
    }
    assert sorted((a.action, a.bot_id) for a in first.actions) == [
        ("marked_unreachable", "a-run"),
        ("marked_unreachable", "a-stop"),
    ]
    assert await ctx.observed("a-run") == "unreachable"
    assert await ctx.observed("a-new") == "unknown"  # its saga owns it

    second = await reconciler.run_once(alice)
    assert second.actions == [] and len(second.issues) == 3
    assert sorted(await ctx.recorded()) == [
        ("marked_unreachable", "a-run"),
        ("marked_unreachable", "a-stop"),
        ("problem_unreachable", None),
    ]


async def test_a_user_pass_only_visits_that_users_pools(dead_pool_ctx: Ctx) -> None:
    ctx = dead_pool_ctx
    alice, bob = await ctx.user("alice"), await ctx.user("bob")
    await ctx.bot("a-run", alice, "gone")
    report = await ctx.reconciler().run_once(bob)
    assert (report.pools, report.bots, report.issues, report.actions) == ([], [], [], [])
    assert report.duration_ms >= 0
    assert await ctx.observed("a-run") == "unknown"


async def test_cleanup_drops_rows_no_pool_holds(dead_pool_ctx: Ctx) -> None:
    ctx = dead_pool_ctx
    alice, bob = await ctx.user("alice"), await ctx.user("bob")
    await ctx.bot("a-lost", alice, None, "running")
    await ctx.bot("a-new", alice, None, "provisioning")
    await ctx.bot("a-placed", alice, "gone", "running")
    await ctx.bot("b-lost", bob, None, "stopped")

    result = await ctx.reconciler().cleanup(alice)
    assert result.removed_from_state == ["a-lost"]
    assert result.removed_from_pools == [] and result.removed_bots == 1
    assert result.checked_bots == 3
    assert [e.split(":")[0] for e in result.errors] == ["pool gone"]
    assert await ctx.store.find("a-new") is not None
    assert await ctx.store.find("b-lost") is not None

    # Ten minutes on, the provisioning saga has clearly stalled: its row goes too.
    later = ctx.reconciler(lambda: utcnow() + timedelta(minutes=11))
    assert (await later.cleanup(alice)).removed_from_state == ["a-new"]
    assert ("removed_from_state", "a-lost") in await ctx.recorded()


@pytest.mark.e2e
async def test_a_real_pool_is_brought_back_in_line(tmp_path: Path, sandbox_url: str) -> None:
    """Orphans go, a lost bot comes back, states follow the database, outages are survived."""
    port = free_port()
    data_dir = tmp_path / "pool"
    url = f"http://127.0.0.1:{port}"
    ctx = await open_ctx(f"sqlite+aiosqlite:///{tmp_path / 'gw.sqlite3'}", [("p1", url)])
    try:
        alice = await ctx.user("alice")
        reconciler = ctx.reconciler()
        with running_pool(data_dir, sandbox_url, pool_id="p1", capacity=3, control_port=port):
            async with PoolClient(url, POOL_TOKEN) as pool:
                orphan = await spec_for(await ctx.bot("orphan-1", alice, "p1"))
                await ctx.store.delete("orphan-1")  # a bot whose row is gone
                await pool.add_bot(orphan)
                await pool.add_bot({**orphan, "bot_id": "bob-1", "owner": "bob"})
                await ctx.bot("keep-1", alice, "p1", "running")  # the pool never got it

                report = await reconciler.run_once(alice)
                assert sorted((a.action, a.bot_id) for a in report.actions) == [
                    ("readded", "keep-1"),
                    ("removed_orphan", "orphan-1"),
                ]
                listed = {b["bot_id"] for b in await pool.list_bots()}
                assert listed == {"keep-1", "bob-1"}  # bob's orphan is not alice's to clean

                report = await reconciler.run_once()
                assert [(a.action, a.bot_id) for a in report.actions] == [
                    ("removed_orphan", "bob-1")
                ]
                await pool.wait_for_state("keep-1", "running", deadline_s=90)
                await reconciler.run_once()
                kept = await ctx.store.find("keep-1")
                assert kept is not None and kept.observed_state == "running"
                assert kept.endpoint is not None and kept.api_port is not None

                await ctx.store.update("keep-1", desired_state="stopped")
                report = await reconciler.run_once()
                assert [(a.action, a.bot_id) for a in report.actions] == [("stopped", "keep-1")]
                assert (await pool.bot_status("keep-1"))["state"] == "stopped"

        report = await reconciler.run_once()
        assert [(a.action, a.bot_id) for a in report.actions] == [("marked_unreachable", "keep-1")]
        assert await ctx.observed("keep-1") == "unreachable"

        # Same port, same folder: the pool restores keep-1 (stopped) from pool.json.
        with running_pool(data_dir, sandbox_url, pool_id="p1", capacity=3, control_port=port):
            report = await reconciler.run_once()
            assert report.actions == [] and report.issues == []
            assert await ctx.observed("keep-1") == "stopped"

            await ctx.store.update("keep-1", desired_state="running")
            report = await reconciler.run_once()
            assert [(a.action, a.bot_id) for a in report.actions] == [("started", "keep-1")]

            async def running() -> bool:
                await reconciler.run_once()
                return await ctx.observed("keep-1") == "running"

            await async_wait_until(running, timeout=90, interval=1, what="keep-1 running")
        actions = [a for a, _ in await ctx.recorded()]
        assert actions.count("readded") == 1 and actions.count("removed_orphan") == 2
        assert "problem_unreachable" in actions
    finally:
        await ctx.directory.close()
        await ctx.db.close()
