"""RiskSettingsService on both databases, applied through a real pool control API.

The pool is the real supervisor app (`runtime.rpc.app`) served over HTTP; its bot processes
are the fake OS seam of the runtime tests, except in the one e2e test, which runs a real pool
process with a real FreqTrade bot on the sandbox exchange.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from gateway.errors import NotFound, Unavailable
from gateway.services.trading.botstore import BotRecord
from runtime.rpc.app import create_app as create_pool_app
from runtime.rpc.client import PoolClient
from runtime.settings import PoolSettings
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.gateway.services.riskworld import STRATEGY, World, make_world, show_config
from tests.helpers import async_wait_until, free_port
from tests.runtime.fakes import FakeLauncher

ServerFactory = Callable[..., Awaitable[TestServer]]


def _pool_settings(data_dir: Path, pool_id: str) -> PoolSettings:
    low = 20_000 + free_port() % 30_000
    return PoolSettings(
        pool_id=pool_id, data_dir=data_dir, control_port=free_port(), api_port_min=low,
        api_port_max=low + 20, capacity=3, token=POOL_TOKEN, exchange_url="http://127.0.0.1:9",
        backoff_base=0.2, backoff_max=2.0, stop_grace=10.0, start_timeout=120.0,
    )  # fmt: skip


@dataclass
class FakeProcessPool:
    """A real control API whose bot processes are the runtime tests' fake seam."""

    client: PoolClient
    launcher: FakeLauncher


@pytest.fixture
async def pool(
    world: World, aiohttp_server: ServerFactory, tmp_path: Path
) -> AsyncIterator[FakeProcessPool]:
    launcher = FakeLauncher()
    server = await aiohttp_server(create_pool_app(_pool_settings(tmp_path / "p1", "p1"), launcher))
    url = str(server.make_url("")).rstrip("/")
    client = await world.pools.open("p1", url)
    await world.add_pool("p1", url)
    yield FakeProcessPool(client, launcher)


async def _place(world: World, client: PoolClient, bot_id: str) -> BotRecord:
    """A bot in the pool (spec built with the service's overrides, as provisioning does)."""
    overrides = await world.risk.config_overrides(bot_id, STRATEGY)
    view = await client.add_bot({
        "bot_id": bot_id, "owner": world.alice, "strategy": STRATEGY,
        "pairs": ["BTC/USDT"], "stake_currency": "USDT", "dry_run_wallet": 1000,
        "config_overrides": overrides,
    })  # fmt: skip
    await world.add_bot(bot_id, pool_id="p1")
    await world.store.record_seen(bot_id, view)
    found = await world.store.find(bot_id)
    assert found is not None
    return found


async def _pool_overrides(pool: FakeProcessPool, bot_id: str) -> dict[str, Any]:
    return dict((await pool.client.bot_status(bot_id))["spec"]["config_overrides"])


async def test_a_bot_without_a_row_has_the_defaults(world: World) -> None:
    await world.add_bot("b1")
    risk = await world.risk.for_bot(world.alice, "b1")
    assert risk.is_new and risk.settings["riskLevel"] == 50
    assert risk.features["_meta"]["version"] == "2.0.0"
    assert await world.risk.config_overrides("b1", STRATEGY) == {
        "stoploss": -0.11, "trailing_stop": True, "trailing_stop_positive": 0.015,
        "trailing_stop_positive_offset": 0.03, "trailing_only_offset_is_reached": True,
        "minimal_roi": {"0": 0.1}, "position_adjustment_enable": True,
        "take_profit_ladder": [
            {"profit": 0.02, "exit_share": 0.25}, {"profit": 0.05, "exit_share": 0.5}
        ],
    }  # fmt: skip
    assert await world.row("b1") is None


async def test_ownership_is_checked_on_every_call(world: World) -> None:
    await world.add_bot("b1")
    with pytest.raises(NotFound):
        await world.risk.for_bot(world.bob, "b1")
    with pytest.raises(NotFound):
        await world.risk.update_settings(world.bob, "b1", {"riskLevel": 10})
    with pytest.raises(NotFound):
        await world.risk.save_features(world.bob, "b1", {})
    with pytest.raises(NotFound):
        await world.risk.resume(world.bob, "b1")
    with pytest.raises(NotFound):
        await world.risk.reset_features(world.alice, "nobody")
    assert await world.row("b1") is None


async def test_unplaced_bot_saves_and_changes_its_overrides(world: World) -> None:
    await world.add_bot("b1")
    saved = await world.risk.update_settings(world.alice, "b1", {"riskLevel": 0})
    assert not saved.is_new and saved.settings["riskLevel"] == 0
    features = await world.risk.save_features(
        world.alice, "b1", {"trailingStop": {"enabled": False}, "extra": 1}
    )
    assert features.features["extra"] == 1
    assert features.features["_meta"]["createdAt"] is not None
    overrides = await world.risk.config_overrides("b1", STRATEGY)
    assert overrides["stoploss"] == -0.02 and overrides["trailing_stop"] is False
    row = await world.row("b1")
    assert json.loads(row.settings)["riskLevel"] == 0
    assert "_meta" not in json.loads(row.features)
    reset = await world.risk.reset_features(world.alice, "b1")
    assert reset.features["trailingStop"]["enabled"] is True and "extra" not in reset.features
    assert (await world.risk.load("b1")).settings["riskLevel"] == 0


async def test_changed_overrides_restart_the_bot_in_its_pool(
    world: World, pool: FakeProcessPool
) -> None:
    await _place(world, pool.client, "b1")
    assert len(pool.launcher.children) == 1
    assert await _pool_overrides(pool, "b1") == await world.risk.config_overrides("b1", STRATEGY)

    await world.risk.save_features(world.alice, "b1", {"trailingStop": {"callbackRate": 2.5}})
    assert len(pool.launcher.children) == 2  # restarted with the new config
    in_pool = await _pool_overrides(pool, "b1")
    assert in_pool["trailing_stop_positive"] == 0.025
    assert in_pool == await world.risk.config_overrides("b1", STRATEGY)

    # Settings FreqTrade does not have change nothing in the bot: no restart.
    await world.risk.update_settings(world.alice, "b1", {"autoRebalance": False})
    features = (await world.risk.load("b1")).features  # R5 sends the whole object back
    features["compounding"]["enabled"] = True
    await world.risk.save_features(world.alice, "b1", features)
    assert len(pool.launcher.children) == 2
    # R5 replaces the object: what the body leaves out is back at its default.
    await world.risk.save_features(world.alice, "b1", {"compounding": {"enabled": True}})
    assert len(pool.launcher.children) == 3
    assert (await _pool_overrides(pool, "b1"))["trailing_stop_positive"] == 0.015

    await world.risk.update_settings(world.alice, "b1", {"riskLevel": 100})
    assert len(pool.launcher.children) == 4
    assert (await _pool_overrides(pool, "b1"))["stoploss"] == -0.2


async def test_pause_of_a_stopped_bot_goes_into_its_pool_spec(
    world: World, pool: FakeProcessPool
) -> None:
    await _place(world, pool.client, "b1")
    await world.store.record_seen("b1", await pool.client.stop_bot("b1"))
    await pool.client.wait_for_state("b1", "stopped", 10)
    await world.risk.update_settings(world.alice, "b1", {"enabled": False})
    assert (await _pool_overrides(pool, "b1"))["initial_state"] == "paused"
    assert (await pool.client.bot_status("b1"))["state"] == "stopped"  # not started by it
    assert len(pool.launcher.children) == 1

    await world.risk.resume(world.alice, "b1")
    assert "initial_state" not in await _pool_overrides(pool, "b1")
    assert (await world.risk.load("b1")).settings["enabled"] is True


async def test_pool_failure_changes_nothing(world: World, pool: FakeProcessPool) -> None:
    await _place(world, pool.client, "b1")
    await world.risk.update_settings(world.alice, "b1", {"riskLevel": 40})
    before = await world.row("b1")
    # The pool goes away: its port answers nothing.
    await world.pools.open("p1", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(Unavailable) as caught:
        await world.risk.update_settings(world.alice, "b1", {"riskLevel": 90})
    assert caught.value.code == "POOL_UNAVAILABLE" and caught.value.status == 503
    with pytest.raises(Unavailable):
        await world.risk.save_features(world.alice, "b1", {"trailingStop": {"enabled": False}})
    with pytest.raises(Unavailable):  # a pause of a bot not seen running goes via the pool
        await world.risk.update_settings(world.alice, "b1", {"enabled": False})
    assert await world.row("b1") == before
    # A change FreqTrade does not see needs no pool and is saved.
    await world.risk.update_settings(world.alice, "b1", {"riskLevel": 40, "dcaEnabled": False})
    assert json.loads((await world.row("b1")).settings)["dcaEnabled"] is False


async def test_a_bot_its_pool_does_not_know_is_saved(world: World, pool: FakeProcessPool) -> None:
    await world.add_bot("gone", pool_id="p1")
    saved = await world.risk.update_settings(world.alice, "gone", {"riskLevel": 10})
    assert saved.settings["riskLevel"] == 10
    assert (await world.risk.config_overrides("gone", STRATEGY))["stoploss"] == -0.038


async def test_pause_window_and_resume(world: World) -> None:
    await world.add_bot("b1")
    now = world.clock()
    await world.risk.pause("b1", "daily loss", now + timedelta(hours=4))
    assert (await world.risk.config_overrides("b1", STRATEGY))["initial_state"] == "paused"
    row = await world.row("b1")
    assert row.pause_reason == "daily loss" and row.paused_until is not None
    await world.risk.pause("b1", "emergency", now - timedelta(seconds=1))
    assert "initial_state" not in await world.risk.config_overrides("b1", STRATEGY)
    await world.risk.pause("b1", "manual")
    assert (await world.risk.config_overrides("b1", STRATEGY))["initial_state"] == "paused"
    await world.risk.resume(world.alice, "b1")
    row = await world.row("b1")
    assert row.pause_reason == "" and row.paused_until is None
    assert "initial_state" not in await world.risk.config_overrides("b1", STRATEGY)
    with pytest.raises(NotFound):
        await world.risk.pause("nobody", "x")


async def test_an_expired_pause_is_lifted_and_leaves_the_pool_spec(
    world: World, pool: FakeProcessPool
) -> None:
    await _place(world, pool.client, "b1")
    await _place(world, pool.client, "b2")
    for bot_id in ("b1", "b2"):
        await world.store.record_seen(bot_id, await pool.client.stop_bot(bot_id))
        await pool.client.wait_for_state(bot_id, "stopped", 10)
    await world.risk.pause("b1", "daily loss", world.clock() + timedelta(minutes=10))
    await world.risk.pause("b2", "emergency", world.clock() + timedelta(hours=1))
    assert (await _pool_overrides(pool, "b1"))["initial_state"] == "paused"
    assert await world.risk.expire_pauses() == []  # not yet

    world.clock.advance(timedelta(minutes=11))
    assert await world.risk.expire_pauses() == ["b1"]
    assert "initial_state" not in await _pool_overrides(pool, "b1")
    row = await world.row("b1")
    assert row.pause_reason == "" and row.paused_until is None
    assert (await _pool_overrides(pool, "b2"))["initial_state"] == "paused"  # still running on
    assert await world.risk.expire_pauses() == []  # done once


async def test_an_expired_pause_stays_while_its_pool_is_down(
    world: World, pool: FakeProcessPool
) -> None:
    await _place(world, pool.client, "b1")
    await world.store.record_seen("b1", await pool.client.stop_bot("b1"))
    await pool.client.wait_for_state("b1", "stopped", 10)
    await world.risk.pause("b1", "daily loss", world.clock() + timedelta(minutes=10))
    world.clock.advance(timedelta(minutes=11))
    url = pool.client.base_url
    await world.pools.open("p1", f"http://127.0.0.1:{free_port()}")  # the pool goes away
    assert await world.risk.expire_pauses() == []
    assert (await world.row("b1")).pause_reason == "daily loss"  # kept, tried next pass
    await world.pools.open("p1", url)
    assert await world.risk.expire_pauses() == ["b1"]


# -- the real thing ------------------------------------------------------------------------------


@pytest.mark.e2e
async def test_settings_reach_a_real_freqtrade_bot(tmp_path: Path, sandbox_url: str) -> None:
    world = await make_world(
        f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}", tmp_path / "repo"
    )
    try:
        with running_pool(tmp_path / "pool", sandbox_url, pool_id="p1", capacity=2) as running:
            client = await world.pools.open("p1", running.url)
            await world.add_pool("p1", running.url)
            await _place(world, client, "real-1")
            view = await client.wait_for_state("real-1", "running", 120)
            await world.store.record_seen("real-1", view)
            config = await show_config(world, "real-1")
            assert config["trailing_stop_positive"] == 0.015 and config["stoploss"] == -0.11
            first_pid = view["pid"]

            await world.risk.save_features(
                world.alice,
                "real-1",
                {
                    "trailingStop": {
                        "activationPercent": 4,
                        "callbackRate": 2,
                        "lockInProfit": False,
                    }
                },
            )

            async def restarted() -> dict[str, Any] | None:
                view = await client.bot_status("real-1")
                if view["state"] != "running":
                    return None
                await world.store.record_seen("real-1", view)
                shown = await show_config(world, "real-1")
                return shown if shown["trailing_stop_positive"] == 0.02 else None

            config = await async_wait_until(restarted, timeout=120, what="restart with new config")
            assert config["trailing_stop"] is True
            assert config["trailing_stop_positive_offset"] == 0.04
            assert config["trailing_only_offset_is_reached"] is False
            assert config["state"] == "running"
            assert (await client.bot_status("real-1"))["pid"] != first_pid  # a new process

            # Switching trading off pauses FreqTrade through its API, without a restart; the
            # pool's spec records it, so a crash restart would bring the bot back paused.
            pid = (await client.bot_status("real-1"))["pid"]
            await world.risk.update_settings(world.alice, "real-1", {"enabled": False})
            assert (await show_config(world, "real-1"))["state"] == "paused"
            spec = (await client.bot_status("real-1"))["spec"]["config_overrides"]
            assert spec["initial_state"] == "paused"
            await world.risk.resume(world.alice, "real-1")
            assert (await show_config(world, "real-1"))["state"] == "running"
            assert (
                "initial_state"
                not in (await client.bot_status("real-1"))["spec"]["config_overrides"]
            )

            # A timed pause (a protection's) runs out: the loop's pass resumes the bot.
            await world.risk.pause("real-1", "daily loss", world.clock() + timedelta(minutes=10))
            assert (await show_config(world, "real-1"))["state"] == "paused"
            world.clock.advance(timedelta(minutes=11))
            assert await world.risk.expire_pauses() == ["real-1"]
            assert (await show_config(world, "real-1"))["state"] == "running"
            assert (await client.bot_status("real-1"))["pid"] == pid
    finally:
        await world.pools.close()
        await world.api.close()
        await world.db.close()
