"""Emergency stops: the drop figures, and which bots fire on real prices and real snapshots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from gateway.services.dashboard.charts import Snapshot
from gateway.services.dashboard.portfolio import BotHoldings, Portfolio
from gateway.services.dashboard.snapshots import SnapshotStore
from gateway.services.risk import defaults as rd
from gateway.services.risk.emergency import Emergency, EmergencyWatch, drop_percent, portfolio_drop
from gateway.services.risk.marketdata import PriceHistory
from gateway.services.risk.settings import BotRisk
from sandbox.market import Market
from sandbox.server import create_app
from tests.gateway.services.risk.test_marketdata import NOW, NOW_MS, SETTINGS
from tests.gateway.services.riskworld import World

START = NOW - timedelta(hours=30)


def snap(minutes_ago: float, value: int, pnl: int, active: int = 2, count: int = 2) -> Snapshot:
    return Snapshot(NOW - timedelta(minutes=minutes_ago), value, pnl, active, count)


def test_drop_percent_is_from_the_peak_to_the_last() -> None:
    assert drop_percent([100.0, 120.0, 90.0]) == pytest.approx(25.0)
    assert drop_percent([100.0, 90.0, 120.0]) == 0.0  # at the top now
    assert drop_percent([]) == 0.0
    assert drop_percent([0.0, 0.0]) == 0.0


def test_portfolio_drop_is_measured_on_pnl_so_money_moved_is_no_drop() -> None:
    # 1000 invested, +200 at the peak, -100 now: (200 - -100) / (1000 + 200) = 25 %.
    history = [snap(60, 110_000, 10_000), snap(30, 120_000, 20_000), snap(0, 90_000, -10_000)]
    assert portfolio_drop(history) == pytest.approx(25.0)
    # 500 more allocated since the peak (value up, P&L the same): still 25 % of 1700.
    moved = [snap(30, 120_000, 20_000), snap(0, 140_000, -10_000)]
    assert portfolio_drop(moved) == pytest.approx(30_000 / 170_000 * 100)
    # Money returned to the wallet with no loss: no drop.
    assert portfolio_drop([snap(30, 120_000, 20_000), snap(0, 70_000, 20_000)]) == 0.0


def test_portfolio_drop_compares_only_snapshots_of_the_same_shape() -> None:
    # The peak was taken while one bot did not answer: not comparable with now.
    history = [
        snap(30, 60_000, 50_000, active=1), snap(10, 95_000, -5_000), snap(0, 94_000, -6_000)
    ]  # fmt: skip
    assert portfolio_drop(history) == pytest.approx(1_000 / 95_000 * 100)
    assert portfolio_drop([snap(30, 60_000, 50_000, active=1), snap(0, 94_000, -6_000)]) is None
    assert portfolio_drop([snap(0, 94_000, -6_000)]) is None
    assert portfolio_drop([snap(1, 0, -100_000), snap(0, 0, -100_000)]) is None  # nothing left


def as_tuple(emergency: Emergency) -> tuple[object, ...]:
    return emergency.trigger, emergency.drop, emergency.limit


def risk_with(updated_at: datetime | None = None, **emergency: Any) -> BotRisk:
    features = rd.default_features(None, None)
    stop = features["emergencyStop"]
    stop["triggers"].update(emergency.pop("triggers", {}))
    stop.update(emergency)
    return BotRisk(rd.default_settings(), features, None, "", updated_at, updated_at)


def btc_closes(since: datetime) -> list[float]:
    """BTC/USDT closes of the 1m candles ending after `since`, straight from the market."""
    start_ms = int(since.timestamp() * 1000) // 60_000 * 60_000
    candles = Market(SETTINGS.seed, SETTINGS.volatility).klines(
        "BTCUSDT", "1m", NOW_MS, start_ms=start_ms, limit=1000
    )
    return [float(c) for c in candles.close]


@pytest.fixture
async def prices() -> AsyncIterator[PriceHistory]:
    server = TestServer(create_app(SETTINGS, clock=lambda: NOW_MS))
    await server.start_server()
    history = PriceHistory(str(server.make_url("")).rstrip("/"))
    try:
        yield history
    finally:
        await history.close()
        await server.close()


async def test_btc_drop_fires_at_its_limit_over_its_window(
    world: World, prices: PriceHistory
) -> None:
    hour = drop_percent(btc_closes(NOW - timedelta(minutes=60)))
    day = drop_percent(btc_closes(NOW - timedelta(minutes=900)))
    assert 0 < hour < day  # the seed and moment were chosen for a falling market
    store = SnapshotStore(world.db, lambda: NOW)
    watch = EmergencyWatch(snapshots=store, prices=prices, snapshot_interval=30)
    bots = {name: await world.add_bot(name) for name in ("low", "high", "long", "off", "fresh")}
    watched = [
        (bots["low"], risk_with(START, triggers={"btcDropPercent": hour * 0.9})),
        (bots["high"], risk_with(START, triggers={"btcDropPercent": hour * 1.1})),
        (bots["long"], risk_with(START, triggers={"btcDropPercent": hour * 1.1,
                                                  "btcDropTimeframe": 900})),
        (bots["off"], risk_with(START, enabled=False, triggers={"btcDropPercent": 0.0001})),
        # Settings changed 2 minutes ago: only the last minutes count.
        (bots["fresh"], risk_with(NOW - timedelta(minutes=2),
                                  triggers={"btcDropPercent": hour * 0.9})),
    ]  # fmt: skip
    fired = await watch.fired(watched, NOW)
    assert as_tuple(fired["low"]) == ("btc", pytest.approx(hour), pytest.approx(hour * 0.9))
    assert fired["long"].drop == pytest.approx(day)
    assert drop_percent(btc_closes(NOW - timedelta(minutes=2))) < hour * 0.9
    assert "high" not in fired and "off" not in fired and "fresh" not in fired
    assert str(fired["low"]).startswith("BTC fell ")


async def test_portfolio_drop_fires_from_fresh_snapshots(world: World) -> None:
    store = SnapshotStore(world.db, lambda: NOW)
    bot = await world.add_bot("b1")
    bob_bot = await world.add_bot("b2", user_id=world.bob)

    def at(minutes_ago: float, user_id: str, pnl: int) -> Portfolio:
        holdings = [BotHoldings("b1", [], 100_000 + pnl, 100_000, 0)]
        return Portfolio(user_id, NOW - timedelta(minutes=minutes_ago), holdings)

    for minutes_ago, pnl in ((25 * 60, 90_000), (120, 20_000), (60, 5_000), (0.5, -10_000)):
        await store.record(at(minutes_ago, world.alice, pnl))  # 25 h ago: out of the window
    await store.record(at(120, world.bob, 20_000))
    await store.record(at(10, world.bob, -10_000))  # Bob's newest is stale
    watch = EmergencyWatch(snapshots=store, prices=None, snapshot_interval=30)
    limit = {"portfolioDropPercent": 25}
    fired = await watch.fired([(bot, risk_with(START, triggers=limit)),
                               (bob_bot, risk_with(START, triggers=limit))], NOW)  # fmt: skip
    assert list(fired) == ["b1"]
    assert as_tuple(fired["b1"]) == ("portfolio", pytest.approx(25.0), 25.0)
    assert str(fired["b1"]) == "the portfolio fell 25.00 % (limit 25 %)"
    # Settings changed after the peak: measured from there, 15_000 / 105_000.
    later = risk_with(NOW - timedelta(minutes=90), triggers={"portfolioDropPercent": 14})
    assert (await watch.fired([(bot, later)], NOW))["b1"].drop == pytest.approx(100 / 7)
    off = EmergencyWatch(snapshots=store, prices=None, snapshot_interval=0)
    assert await off.fired([(bot, risk_with(START, triggers=limit))], NOW) == {}


async def test_unreadable_prices_skip_btc_but_not_the_portfolio(world: World) -> None:
    store = SnapshotStore(world.db, lambda: NOW)
    bot = await world.add_bot("b1")
    await store.record(Portfolio(world.alice, NOW - timedelta(minutes=5),
                                 [BotHoldings("b1", [], 150_000, 100_000, 0)]))  # fmt: skip
    await store.record(Portfolio(world.alice, NOW, [BotHoldings("b1", [], 50_000, 100_000, 0)]))
    watch = EmergencyWatch(
        snapshots=store, prices=PriceHistory("http://127.0.0.1:9", timeout=2), snapshot_interval=30
    )
    try:
        risk = risk_with(START, triggers={"btcDropPercent": 0.0001, "portfolioDropPercent": 50})
        fired = await watch.fired([(bot, risk)], NOW)
        assert as_tuple(fired["b1"]) == ("portfolio", pytest.approx(100 * 100_000 / 150_000), 50.0)
        assert await watch.fired([], NOW) == {}
        # A drop older than the bot's settings is forgotten.
        assert await watch.fired([(bot, risk_with(NOW + timedelta(seconds=1)))], NOW) == {}
    finally:
        assert watch.prices is not None
        await watch.prices.close()
