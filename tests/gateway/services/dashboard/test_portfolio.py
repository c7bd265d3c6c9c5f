"""PortfolioService: parallel aggregation, per-bot timeouts, error entries, allocation values."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestServer

from gateway.keys import SERVICES
from gateway.models.portfolio import portfolio_body, positions_body
from gateway.services.container import Services
from gateway.services.dashboard.live import BotApiSource
from gateway.services.trading.botstore import BotRecord
from tests.gateway.conftest import AppClient, ClientFactory, register_and_login
from tests.gateway.fakebot import FakeBot, closed_trade, open_trade, username
from tests.gateway.fakebot import per_bot_source as make_settings  # noqa: F401 - fixture

ServerFactory = Callable[..., Awaitable[TestServer]]


async def serve(aiohttp_server: ServerFactory, bot: FakeBot) -> str:
    server = await aiohttp_server(bot.app())
    return str(server.make_url("")).rstrip("/")


async def add_bot(
    services: Services,
    user_id: str,
    bot_id: str,
    url: str | None,
    *,
    wallet_cents: int = 100_000,
    desired: str = "running",
) -> BotRecord:
    return await services.bot_store.create(
        id=bot_id,
        user_id=user_id,
        pool_id=None,
        strategy="SandboxScalp1m",
        exchange="kraken",
        stake_currency="USDT",
        stake_amount="unlimited",
        max_open_trades=3,
        timeframe="1m",
        pairs=["BTC/USDT"],
        dry_run=True,
        wallet_cents=wallet_cents,
        desired_state=desired,
        api_url=url,
        api_username=username(bot_id) if url else None,
        api_port=None,
    )


async def setup(make_client: ClientFactory, **settings: Any) -> tuple[AppClient, Services, str]:
    client = await make_client(**settings)
    account = await register_and_login(client)
    return client, client.app[SERVICES], account.user_id


async def test_aggregation_mixes_answers_and_error_entries(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    _, services, user_id = await setup(make_client, bot_timeout=1.5)
    rich = FakeBot(total=650.25, status=[open_trade(1, "BTC/USDT", stake=120.5)])
    poor = FakeBot(total=380.0)
    slow = FakeBot(delay=5.0)
    await add_bot(services, user_id, "rich", await serve(aiohttp_server, rich), wallet_cents=60_000)
    await add_bot(services, user_id, "poor", await serve(aiohttp_server, poor), wallet_cents=40_000)
    await add_bot(services, user_id, "slow", await serve(aiohttp_server, slow))
    stopped = FakeBot()
    await add_bot(services, user_id, "stopped", await serve(aiohttp_server, stopped),
                  desired="stopped")  # fmt: skip
    await add_bot(services, user_id, "unplaced", None)
    await services.wallet.allocate(user_id, "rich", "SandboxScalp1m (rich)", 60_000)
    await services.wallet.allocate(user_id, "poor", "SandboxScalp1m (poor)", 40_000)

    started = time.monotonic()
    portfolio = await services.portfolio.aggregate(user_id)
    # The slow bot (5 s) is cut off at its timeout; 1.5 s leaves a loaded CI machine room to
    # answer the fast ones (0.3 s did not, once).
    assert time.monotonic() - started < 4.0

    body = portfolio_body(portfolio)
    by_id = {b["instanceId"]: b for b in body["bots"]}
    assert [b["instanceId"] for b in body["bots"]] == [
        "rich",
        "poor",
        "slow",
        "stopped",
        "unplaced",
    ]
    assert by_id["rich"]["status"] == rich.status  # FreqTrade's array, unchanged
    # startingCapital is the funded wallet, not FreqTrade's starting_capital (wallet x 0.99).
    assert by_id["rich"]["metrics"] == {
        "totalBalance": 650.25, "totalPnL": 50.25, "startingCapital": 600.0, "openTrades": 1
    }  # fmt: skip
    assert by_id["poor"]["metrics"]["totalPnL"] == -20.0
    zero = {"totalBalance": 0, "totalPnL": 0, "startingCapital": 0, "openTrades": 0}
    for name, reason in [("slow", "in time"), ("stopped", "stopped"), ("unplaced", "not started")]:
        assert by_id[name]["metrics"] == zero
        assert reason in by_id[name]["error"]
        assert "status" not in by_id[name]
    assert body["portfolioValue"] == body["totalBalance"] == 1030.25
    assert body["totalStartingCapital"] == body["startingBalance"] == 1000.0
    assert body["totalPnL"] == 30.25
    assert body["profitLossPercentage"] == 3.025
    assert (body["activeBots"], body["botCount"]) == (2, 5)
    assert not stopped.calls  # a bot the user stopped is not asked

    # Allocation values follow the bots: value = balance, reserved = stake in open trades.
    rich_allocation = await services.wallet.allocation(user_id, "rich")
    assert rich_allocation is not None
    assert (rich_allocation.current_value_cents, rich_allocation.reserved_cents) == (65_025, 12_050)
    poor_allocation = await services.wallet.allocation(user_id, "poor")
    assert poor_allocation is not None and poor_allocation.current_value_cents == 38_000


async def test_no_bots_means_zero_percent(make_client: ClientFactory) -> None:
    _, services, user_id = await setup(make_client)
    body = portfolio_body(await services.portfolio.aggregate(user_id))
    assert body["bots"] == [] and body["profitLossPercentage"] == 0
    assert (body["portfolioValue"], body["activeBots"], body["botCount"]) == (0, 0, 0)


async def test_bots_are_asked_in_parallel_within_the_concurrency_bound(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    shared = FakeBot(delay=0.2)  # one server stands in for six bots and sees every call
    url = await serve(aiohttp_server, shared)
    _, services, user_id = await setup(make_client, bot_concurrency=3, bot_timeout=5)
    for index in range(6):
        await add_bot(services, user_id, f"bot-{index}", url)

    started = time.monotonic()
    portfolio = await services.portfolio.aggregate(user_id)
    elapsed = time.monotonic() - started

    assert portfolio.active_bots == 6
    assert shared.calls == {"status": 6, "balance": 6}
    # /status and /balance of one bot run together; at most 3 bots at a time.
    assert shared.max_in_flight == 6
    assert elapsed < 6 * 0.2  # sequential would take 1.2 s; two waves of 0.2 s are expected

    source = services.portfolio.source
    assert isinstance(source, BotApiSource)
    source.concurrency = 1
    shared.max_in_flight = 0
    started = time.monotonic()
    await services.portfolio.aggregate(user_id)
    assert shared.max_in_flight == 2
    assert time.monotonic() - started >= 6 * 0.2


async def test_positions_by_status(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    bot = FakeBot(
        status=[open_trade(7, "ETH/USDT", short=True)], closed=[closed_trade(3, "BTC/USDT")]
    )
    _, services, user_id = await setup(make_client)
    await add_bot(services, user_id, "b1", await serve(aiohttp_server, bot))
    await add_bot(services, user_id, "off", None)

    everything = positions_body(await services.portfolio.positions(user_id, "all"))
    assert [(r["tradeId"], r["status"]) for r in everything["positions"]] == [
        (7, "open"), (3, "closed")
    ]  # fmt: skip
    short = everything["positions"][0]
    assert (short["side"], short["isShort"], short["botId"]) == ("short", True, "b1")
    assert (short["entryPrice"], short["currentPrice"], short["pnl"]) == (50000.0, 50500.0, 1.0)
    assert (short["openRate"], short["currentRate"], short["profitAbs"]) == (50000.0, 50500.0, 1.0)
    closed = everything["positions"][1]
    assert (closed["currentPrice"], closed["exitReason"], closed["side"]) == (
        51000.0,
        "roi",
        "long",
    )
    assert everything["summary"]["unrealizedPnL"] == 1.0
    assert everything["summary"]["realizedPnL"] == 2.0
    assert everything["metadata"]["errors"] == [
        {"botId": "off", "error": "Bot has not started yet"}
    ]

    bot.calls.clear()
    only_open = positions_body(await services.portfolio.positions(user_id, "open"))
    assert [r["tradeId"] for r in only_open["positions"]] == [7]
    assert bot.calls == {"status": 1}
    only_closed = positions_body(await services.portfolio.positions(user_id, "closed"))
    assert [r["tradeId"] for r in only_closed["positions"]] == [3]
    assert bot.calls == {"status": 1, "trades": 1}
