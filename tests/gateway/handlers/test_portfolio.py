"""P1-P4 over HTTP, the snapshot pass, and P1/P4/SSE/B6/B7 against a real pool bot (e2e)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from gateway.keys import SERVICES
from gateway.services.common import utcnow
from gateway.services.container import Services
from gateway.services.dashboard.portfolio import BotHoldings, Portfolio
from gateway.services.dashboard.snapshots import SnapshotStore
from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.gateway.conftest import AppClient, ClientFactory, register_and_login
from tests.gateway.fakebot import FakeBot, closed_trade, open_trade
from tests.gateway.fakebot import per_bot_source as make_settings  # noqa: F401 - fixture
from tests.gateway.services.dashboard.test_portfolio import add_bot, serve
from tests.gateway.test_sse import until
from tests.helpers import async_wait_until
from tests.runtime.botapi import bot_get

ServerFactory = Callable[..., Awaitable[TestServer]]


async def test_chart_routes(make_client: ClientFactory) -> None:
    # Late in a 5-minute bucket, so the last two snapshots share the newest bucket.
    real = utcnow()
    now = real.replace(minute=real.minute - real.minute % 5, second=0, microsecond=0) + timedelta(
        minutes=4.5
    )
    client = await make_client(app_kwargs={"clock": lambda: now})
    alice = await register_and_login(client)
    store = client.app[SERVICES].snapshots
    for minutes, value in [(90, 99_000), (2, 101_000), (1, 102_500)]:
        holdings = [BotHoldings("b1", [], value, 100_000, 0)]
        await store.record(Portfolio(alice.user_id, now - timedelta(minutes=minutes), holdings))

    response = await client.get("/api/freqtrade/charts/portfolio", headers=alice.auth)
    assert response.status == 200
    body = await response.json()
    assert body["success"] is True and list(body["intervals"]) == ["1h", "24h", "7d", "30d"]
    sizes = {name: series["dataPoints"] for name, series in body["intervals"].items()}
    assert sizes == {"1h": 12, "24h": 48, "7d": 42, "30d": 30}
    hour = body["intervals"]["1h"]
    last = hour["data"][-1]
    assert last["portfolioValue"] == 1025.0 and last["totalPnL"] == 25.0 and last["showPoint"]
    assert (last["activeBots"], last["botCount"]) == (1, 1)
    assert last["timestamp"] == int((now - timedelta(minutes=4.5)).timestamp() * 1000)
    assert hour["data"][0]["portfolioValue"] == 990.0 and not hour["data"][0]["showPoint"]
    assert set(hour["timeRange"]) == {"start", "end"}
    assert body["metadata"]["totalSnapshots"] == 3
    assert body["metadata"]["firstSnapshot"].endswith("Z")

    one = await (await client.get("/api/freqtrade/charts/portfolio/1h", headers=alice.auth)).json()
    assert one["interval"] == "1h" and one["data"] == hour["data"]
    assert one["metadata"]["dataPoints"] == 12 and one["metadata"]["totalSnapshots"] == 3
    bad = await client.get("/api/freqtrade/charts/portfolio/2h", headers=alice.auth)
    assert bad.status == 400 and (await bad.json())["code"] == "INVALID_INTERVAL"

    bob = await register_and_login(client, "bob@example.com")
    empty = await (await client.get("/api/freqtrade/charts/portfolio", headers=bob.auth)).json()
    assert empty["intervals"]["24h"] == {"data": [], "dataPoints": 0, "timeRange": None}
    assert empty["metadata"] == {"totalSnapshots": 0, "firstSnapshot": None, "lastSnapshot": None}


async def test_portfolio_and_positions_routes(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    client = await make_client()
    alice = await register_and_login(client)
    bot = FakeBot(
        total=1001.0, status=[open_trade(2, "BTC/USDT")], closed=[closed_trade(1, "ETH/USDT")]
    )
    await add_bot(client.app[SERVICES], alice.user_id, "b1", await serve(aiohttp_server, bot))

    portfolio = await (await client.get("/api/freqtrade/portfolio", headers=alice.auth)).json()
    assert portfolio["success"] is True and portfolio["portfolioValue"] == 1001.0
    assert isinstance(portfolio["timestamp"], int)
    assert portfolio["bots"][0]["status"] == bot.status

    everything = await client.get("/api/freqtrade/portfolio/positions", headers=alice.auth)
    body = await everything.json()
    assert body["success"] is True and body["count"] == 2
    assert [r["status"] for r in body["positions"]] == ["open", "closed"]
    closed = await client.get(
        "/api/freqtrade/portfolio/positions?status=closed", headers=alice.auth
    )
    assert [r["tradeId"] for r in (await closed.json())["positions"]] == [1]
    bad = await client.get("/api/freqtrade/portfolio/positions?status=pending", headers=alice.auth)
    assert bad.status == 400 and (await bad.json())["success"] is False
    assert (await client.get("/api/freqtrade/portfolio")).status == 401


async def test_snapshot_pass_covers_users_with_running_bots(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    client = await make_client()
    services: Services = client.app[SERVICES]
    alice = await register_and_login(client)
    bob = await register_and_login(client, "bob@example.com")
    bot = FakeBot(total=1100.0)
    await add_bot(services, alice.user_id, "alice-bot", await serve(aiohttp_server, bot))
    await add_bot(services, bob.user_id, "bob-bot", None, desired="stopped")

    stored = await services.snapshots.snapshot_all(services.portfolio, services.bot_store, 30)
    assert stored == 1 and bot.calls == {"status": 1, "balance": 1}
    summary = await services.snapshots.summary(alice.user_id)
    assert summary.count == 1
    assert (await services.snapshots.summary(bob.user_id)).count == 0

    # A fresh aggregation from the SSE hub is stored as is: no second round of bot calls.
    fresh = Portfolio(alice.user_id, utcnow(), [BotHoldings("alice-bot", [], 110_000, 100_000, 0)])
    recent: dict[str, Portfolio] = {alice.user_id: fresh}
    await services.snapshots.snapshot_all(services.portfolio, services.bot_store, 30, recent.get)
    assert bot.calls == {"status": 1, "balance": 1}
    assert (await services.snapshots.summary(alice.user_id)).count == 2

    # The background pass of a store wired like the gateway's (prunes old snapshots too).
    store = SnapshotStore(
        services.snapshots.db,
        utcnow,
        portfolio=services.portfolio,
        bot_store=services.bot_store,
        interval=30,
        recent=recent.get,
        retention=timedelta(days=31),
    )
    await store.record(Portfolio(alice.user_id, utcnow() - timedelta(days=40), []))
    assert (await store.summary(alice.user_id)).count == 3
    assert await store.snapshot_pass() == 1
    assert bot.calls == {"status": 1, "balance": 1}  # the fresh one was reused
    summary = await store.summary(alice.user_id)
    assert summary.count == 3 and summary.first is not None
    assert summary.first > utcnow() - timedelta(days=31)
    with pytest.raises(RuntimeError):
        await SnapshotStore(services.snapshots.db, utcnow).snapshot_pass()


# --- against a real pool bot -------------------------------------------------------------

LIVE, DOWN = "pf-live", "pf-down"


def _spec(bot_id: str) -> dict[str, Any]:
    return {
        "bot_id": bot_id,
        "owner": "alice",
        "strategy": "SandboxScalp1m",
        "pairs": ["BTC/USDT", "ETH/USDT"],
        "stake_currency": "USDT",
        "dry_run_wallet": 1000,
        "config_overrides": {"force_entry_enable": True},
    }


async def _start_bots(url: str) -> dict[str, dict[str, Any]]:
    async with PoolClient(url, POOL_TOKEN, timeout=120) as pool:
        for bot_id in (LIVE, DOWN):
            await pool.add_bot(_spec(bot_id))
        views = {b: await pool.wait_for_state(b, "running", 180, 0.5) for b in (LIVE, DOWN)}
        # A bot whose process is down while the gateway still wants it running.
        await pool.stop_bot(DOWN)
        await pool.wait_for_state(DOWN, "stopped", 60, 0.2)
    return views


@pytest.fixture(scope="module")
def pool_bots(
    tmp_path_factory: pytest.TempPathFactory, sandbox_url: str
) -> Iterator[dict[str, Any]]:
    """One real pool with one running and one stopped SandboxScalp1m bot (1000 USDT each)."""
    data_dir = tmp_path_factory.mktemp("portfolio-pool") / "data"
    with running_pool(data_dir, sandbox_url, pool_id="portfolio-pool", capacity=2) as pool:
        yield asyncio.run(_start_bots(pool.url))


async def _owned_by(client: AppClient, user_id: str, views: dict[str, Any]) -> None:
    services = client.app[SERVICES]
    for bot_id, view in views.items():
        await add_bot(services, user_id, bot_id, None)
        await services.bot_store.record_seen(bot_id, view)


async def _same_ids(
    gateway: Callable[[], Awaitable[set[int]]], bot: Callable[[], Awaitable[set[int]]]
) -> set[int]:
    """Trade ids once the gateway and the bot agree (the strategy trades between two reads)."""

    async def agree() -> list[set[int]] | None:
        ours, theirs = await gateway(), await bot()
        return [ours] if ours == theirs else None

    return (await async_wait_until(agree, timeout=30, interval=0.5, what="same trades"))[0]


@pytest.mark.e2e
async def test_real_bot_through_the_gateway(
    make_client: ClientFactory, pool_bots: dict[str, Any]
) -> None:
    client = await make_client(bot_timeout=5, proxy_timeout=10, pool_token=POOL_TOKEN)
    alice = await register_and_login(client)
    await _owned_by(client, alice.user_id, pool_bots)
    live = pool_bots[LIVE]

    # P1: the live bot with FreqTrade's open trades and its funded wallet; the stopped one errs.
    portfolio = await (await client.get("/api/freqtrade/portfolio", headers=alice.auth)).json()
    bots = {b["instanceId"]: b for b in portfolio["bots"]}
    assert isinstance(bots[LIVE]["status"], list)
    assert bots[LIVE]["metrics"]["startingCapital"] == 1000.0
    direct_balance = await bot_get(live, "balance")
    assert bots[LIVE]["metrics"]["totalBalance"] == pytest.approx(direct_balance["total"], rel=0.02)
    assert bots[DOWN]["error"] == "Bot is offline" and bots[DOWN]["metrics"]["totalBalance"] == 0
    assert (portfolio["activeBots"], portfolio["botCount"]) == (1, 2)

    # B6/B7: FreqTrade's answers come through the proxy as the bot gives them.
    async def proxied(path: str) -> Any:
        response = await client.get(
            f"/api/freqtrade/proxy/{LIVE}/api/v1/{path}", headers=alice.auth
        )
        assert response.status == 200 and response.content_type == "application/json"
        return await response.json()

    balance = await proxied("balance")
    assert set(balance) == set(direct_balance)
    assert (balance["symbol"], balance["stake"]) == (direct_balance["symbol"], "USDT")
    assert balance["starting_capital"] == direct_balance["starting_capital"]

    async def profit_matches() -> bool:
        ours, theirs = await proxied("profit"), await bot_get(live, "profit")
        keys = ("winning_trades", "losing_trades", "first_trade_timestamp", "trade_count")
        return set(ours) == set(theirs) and all(ours[k] == theirs[k] for k in keys)

    await async_wait_until(profit_matches, timeout=30, interval=0.5, what="same /profit")

    # A trade on demand through the proxy (POST body forwarded), then seen by P4.
    await client.post(f"/api/freqtrade/proxy/{LIVE}/api/v1/forceexit", json={"tradeid": "all"},
                      headers=alice.auth)  # fmt: skip
    entered = None
    for pair in ("ETH/USDT", "BTC/USDT"):
        response = await client.post(f"/api/freqtrade/proxy/{LIVE}/api/v1/forceenter",
                                     json={"pair": pair}, headers=alice.auth)  # fmt: skip
        answer = await response.json()
        if response.status == 200 and "trade_id" in answer:
            entered = answer["trade_id"]
            break
    assert entered is not None

    async def gateway_open() -> set[int]:
        response = await client.get(
            "/api/freqtrade/portfolio/positions?status=open", headers=alice.auth
        )
        rows = (await response.json())["positions"]
        assert all(r["botId"] == LIVE and r["status"] == "open" for r in rows)
        return {r["tradeId"] for r in rows}

    async def bot_open() -> set[int]:
        return {t["trade_id"] for t in await bot_get(live, "status")}

    async def gateway_closed() -> set[int]:
        response = await client.get(
            "/api/freqtrade/portfolio/positions?status=closed", headers=alice.auth
        )
        return {r["tradeId"] for r in (await response.json())["positions"]}

    async def bot_closed() -> set[int]:
        return {t["trade_id"] for t in (await bot_get(live, "trades?limit=500"))["trades"]}

    async def has_entered() -> bool:
        return entered in await gateway_open()

    await async_wait_until(has_entered, timeout=30, interval=0.5, what="forced trade in P4")
    await _same_ids(gateway_open, bot_open)
    await _same_ids(gateway_closed, bot_closed)

    # SSE: the live bot's status array and its open positions.
    stream = await client.get("/api/freqtrade/stream", params={"token": alice.token})
    event, seen = await until(stream, "portfolio")
    assert "error" not in seen
    assert isinstance({b["instanceId"]: b for b in event["bots"]}[LIVE]["status"], list)
    positions, _ = await until(stream, "positions")
    assert all(r["botId"] == LIVE for r in positions["positions"])
    stream.close()

    # Strangers and offline bots.
    bob = await register_and_login(client, "bob@example.com")
    denied = await client.get(f"/api/freqtrade/proxy/{LIVE}/api/v1/balance", headers=bob.auth)
    assert denied.status == 404  # someone else's bot answers as a missing one
    missing = await client.get("/api/freqtrade/proxy/nobody/api/v1/balance", headers=bob.auth)
    assert missing.status == 404
    bob_portfolio = await (await client.get("/api/freqtrade/portfolio", headers=bob.auth)).json()
    assert bob_portfolio["bots"] == [] and bob_portfolio["botCount"] == 0
    offline = await client.get(f"/api/freqtrade/proxy/{DOWN}/api/v1/balance", headers=alice.auth)
    assert offline.status == 502
    assert (await offline.json())["code"] == "BOT_OFFLINE"
    await client.app[SERVICES].bot_store.update(LIVE, desired_state="stopped")
    stopped = await client.get(f"/api/freqtrade/proxy/{LIVE}/api/v1/balance", headers=alice.auth)
    assert stopped.status == 502 and (await stopped.json())["error"] == "Bot is offline"
