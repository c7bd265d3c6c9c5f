"""The trade monitor: today's loss from FreqTrade's figures, and a real bot paused over it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.metrics import GatewayMetrics, Scrape
from gateway.services.common import utcnow
from gateway.services.dashboard.portfolio import BotHoldings, Portfolio
from gateway.services.dashboard.snapshots import SnapshotStore
from gateway.services.risk.emergency import EmergencyWatch
from gateway.services.risk.marketdata import PriceHistory
from gateway.services.risk.monitor import DailyLoss, TradeMonitor, daily_loss, next_midnight
from observability.analytics import Analytics
from tests.fixtures.pools import running_pool
from tests.fixtures.posthog import API_KEY, CaptureServer
from tests.gateway.scrape import Exposition, parse
from tests.gateway.services.riskworld import STRATEGY, World, make_world, show_config
from tests.helpers import async_wait_until
from tests.runtime.botapi import bot_get, bot_post

TODAY = "2026-11-26"


def exported(metrics: GatewayMetrics) -> Exposition:
    """What the gateway's /metrics would show of the monitor's counters."""
    return parse(metrics.render(Scrape(sse_clients=0)).decode())


def test_daily_loss_adds_open_trades_to_the_days_closed_ones() -> None:
    daily = {"data": [
        {"date": TODAY, "abs_profit": -12.0, "starting_balance": 1000.0},
        {"date": "2026-11-25", "abs_profit": -500.0, "starting_balance": 1500.0},
    ]}  # fmt: skip
    status = [{"profit_abs": -30.0}, {"profit_abs": 2.0}, {"profit_abs": None}]
    loss = daily_loss(daily, status, TODAY)
    assert loss == DailyLoss(-12.0, -28.0, 1000.0)
    assert loss.percent == pytest.approx(4.0)
    assert DailyLoss(5.0, 1.0, 1000.0).percent == 0.0  # a gain is no loss
    assert DailyLoss(-5.0, 0.0, 0.0).percent == 0.0
    with pytest.raises(ValueError, match="no row"):
        daily_loss(daily, [], "2026-11-27")
    with pytest.raises(TypeError):
        daily_loss({"data": None}, [], TODAY)


def test_next_midnight_is_utc() -> None:
    now = datetime(2026, 11, 26, 23, 59, 30, tzinfo=UTC)
    assert next_midnight(now) == datetime(2026, 11, 27, tzinfo=UTC)


async def test_status_is_active_only_after_a_recent_pass(world: World) -> None:
    clock = {"now": utcnow()}
    monitor = TradeMonitor(
        bots=world.store, risk=world.risk, api=world.api, clock=lambda: clock["now"],
        interval=60, timeout=1, concurrency=2,
    )  # fmt: skip
    await world.add_bot("b1", observed_state="running")
    await world.add_bot("b2", user_id=world.bob)
    assert await monitor.status(world.alice) == (False, 1)  # no pass yet
    assert await monitor.check_all() == []  # b1 has no endpoint: nothing to ask
    assert await monitor.status(world.alice) == (True, 1)
    assert await monitor.status(world.bob) == (False, 1)  # nothing of Bob's is running
    clock["now"] = clock["now"].replace(year=clock["now"].year + 1)
    assert await monitor.status(world.alice) == (False, 1)  # the loop stopped passing


async def _round_trip(bot: dict[str, Any], pair: str) -> None:
    await bot_post(bot, "forceenter", {"pair": pair})
    await bot_post(bot, "forceexit", {"tradeid": "all"})


@pytest.mark.e2e
async def test_a_real_bot_over_its_daily_loss_is_paused_and_closed(
    tmp_path: Path, sandbox_url: str
) -> None:
    world = await make_world(
        f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}", tmp_path / "repo"
    )
    metrics = GatewayMetrics()
    monitor = TradeMonitor(bots=world.store, risk=world.risk, api=world.api, clock=utcnow,
                           interval=60, timeout=10, concurrency=4, recorder=metrics)  # fmt: skip
    try:
        with running_pool(tmp_path / "pool", sandbox_url, pool_id="p1", capacity=2) as running:
            client = await world.pools.open("p1", running.url)
            await world.add_pool("p1", running.url)
            await world.add_bot("loser", pool_id="p1", pairs=["BTC/USDT", "ETH/USDT"])
            overrides = await world.risk.config_overrides("loser", STRATEGY)
            overrides["force_entry_enable"] = True
            await client.add_bot({
                "bot_id": "loser", "owner": world.alice, "strategy": STRATEGY,
                "pairs": ["BTC/USDT", "ETH/USDT"], "stake_currency": "USDT",
                "dry_run_wallet": 1000, "config_overrides": overrides,
            })  # fmt: skip
            view = await client.wait_for_state("loser", "running", 120)
            await world.store.record_seen("loser", view)
            await world.risk.save_features(world.alice, "loser", {"dailyLossProtection": {
                "enabled": True, "maxDailyLossPercent": 0.001, "pauseUntil": "nextDay",
                "closePositions": True,
            }})  # fmt: skip
            assert await monitor.check_all() == []  # no trade yet: no loss

            # Round trips until the day shows a loss (fees: 0.1 % each way; the price rarely
            # rises more than that within a second, but it may).
            async def a_losing_day() -> bool:
                today = utcnow().date().isoformat()
                figures = daily_loss(await bot_get(view, "daily?timescale=1"),
                                     await bot_get(view, "status"), today)  # fmt: skip
                if figures.percent > 0.001:
                    return True
                await _round_trip(view, "BTC/USDT")
                return False

            await async_wait_until(a_losing_day, timeout=90, interval=1, what="a losing day")
            await bot_post(view, "forceenter", {"pair": "ETH/USDT"})  # one trade left open

            assert await monitor.check_all() == ["loser"]
            counted = exported(metrics)
            pauses = "cryptopilot_trade_monitor_pauses_total"
            assert counted.value(pauses, reason="daily_loss") == 1
            assert counted.value(pauses, reason="emergency_stop") == 0
            assert counted.value("cryptopilot_trade_monitor_emergency_stops_total") == 0
            config = await show_config(world, "loser")
            assert config["state"] == "paused"
            row = await world.row("loser")
            assert row.pause_reason == "daily loss"
            assert row.paused_until.replace(tzinfo=UTC) == next_midnight(utcnow())

            async def all_closed() -> bool:
                return bool(await bot_get(view, "status") == [])

            await async_wait_until(all_closed, timeout=30, interval=0.5, what="positions closed")
            assert await monitor.check_all() == []  # paused already: not checked again
            assert await monitor.status(world.alice) == (True, 1)
            spec = (await client.bot_status("loser"))["spec"]["config_overrides"]
            assert spec["initial_state"] == "paused"  # a restart keeps the pause
    finally:
        await world.pools.close()
        await world.api.close()
        await world.db.close()


@pytest.mark.e2e
async def test_a_real_bot_is_stopped_by_a_portfolio_drop_once(
    tmp_path: Path, sandbox_url: str, capture_server: CaptureServer
) -> None:
    world = await make_world(
        f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}", tmp_path / "repo"
    )
    snapshots = SnapshotStore(world.db, utcnow)
    prices = PriceHistory(sandbox_url)
    watch = EmergencyWatch(snapshots=snapshots, prices=prices, snapshot_interval=30)
    metrics = GatewayMetrics()
    analytics = Analytics(API_KEY, capture_server.url)
    monitor = TradeMonitor(bots=world.store, risk=world.risk, api=world.api, clock=utcnow,
                           interval=60, timeout=10, concurrency=4, emergency=watch,
                           analytics=analytics, recorder=metrics)  # fmt: skip
    try:
        with running_pool(tmp_path / "pool", sandbox_url, pool_id="p1", capacity=2) as running:
            client = await world.pools.open("p1", running.url)
            await world.add_pool("p1", running.url)
            await world.add_bot("crash", pool_id="p1", pairs=["BTC/USDT"])
            overrides = await world.risk.config_overrides("crash", STRATEGY)
            overrides["force_entry_enable"] = True
            await client.add_bot({
                "bot_id": "crash", "owner": world.alice, "strategy": STRATEGY,
                "pairs": ["BTC/USDT"], "stake_currency": "USDT",
                "dry_run_wallet": 1000, "config_overrides": overrides,
            })  # fmt: skip
            view = await client.wait_for_state("crash", "running", 120)
            await world.store.record_seen("crash", view)
            await world.risk.save_features(world.alice, "crash", {
                "dailyLossProtection": {"enabled": False},
                "emergencyStop": {
                    "enabled": True,
                    # BTC is read from the sandbox on every pass, but cannot fall 100 %.
                    "triggers": {"btcDropPercent": 100, "portfolioDropPercent": 10},
                    "actions": {"closeAllPositions": True, "pauseDurationHours": 2},
                },
            })  # fmt: skip
            await bot_post(view, "forceenter", {"pair": "BTC/USDT"})

            async def has_trade() -> bool:
                return len(await bot_get(view, "status")) == 1

            await async_wait_until(has_trade, timeout=30, interval=0.5, what="a trade")
            assert await monitor.check_all() == []  # no snapshots yet

            for pnl in (5_000, -15_000):  # 19 % below the peak: (5_000 + 15_000) / 105_000
                holdings = [BotHoldings("crash", [], 100_000 + pnl, 100_000, 0)]
                await snapshots.record(Portfolio(world.alice, utcnow(), holdings))
            assert await monitor.check_all() == ["crash"]
            counted = exported(metrics)
            assert counted.value("cryptopilot_trade_monitor_emergency_stops_total") == 1
            pauses = "cryptopilot_trade_monitor_pauses_total"
            assert counted.value(pauses, reason="emergency_stop") == 1
            assert counted.value(pauses, reason="daily_loss") == 0
            config = await show_config(world, "crash")
            assert config["state"] == "paused"
            row = await world.row("crash")
            assert row.pause_reason == "emergency stop"
            until = row.paused_until.replace(tzinfo=UTC)
            assert abs(until - (utcnow() + timedelta(hours=2))) < timedelta(minutes=1)

            async def all_closed() -> bool:
                return bool(await bot_get(view, "status") == [])

            await async_wait_until(all_closed, timeout=30, interval=0.5, what="positions closed")
            assert await monitor.check_all() == []  # paused: not checked again
            await world.risk.resume(world.alice, "crash")
            assert (await show_config(world, "crash"))["state"] == "running"
            assert await monitor.check_all() == []  # the drop came before the resume
            assert exported(metrics).value("cryptopilot_trade_monitor_emergency_stops_total") == 1
        analytics.close()
        [stop] = capture_server.events("emergency_stop")  # one event for one stop
        assert stop["distinct_id"] == world.alice
        assert (stop["properties"]["bot_id"], stop["properties"]["trigger"]) == (
            "crash",
            "portfolio",
        )
        assert stop["properties"]["pause_hours"] == 2.0
    finally:
        analytics.close()
        await prices.close()
        await world.pools.close()
        await world.api.close()
        await world.db.close()
