"""SummarySource: one call per pool, ages judged, every failure an entry's `error`.

The pool here is a small aiohttp stand-in for `GET /summaries` (its real side is tested in
tests/runtime/summary/, and both ends together in test_published_e2e.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.keys import SERVICES
from gateway.models.portfolio import portfolio_body, positions_body
from gateway.services.container import Services
from gateway.services.dashboard.published import SummarySource
from tests.gateway.conftest import ClientFactory, register_and_login
from tests.gateway.fakebot import closed_trade, open_trade
from tests.gateway.services.dashboard.test_portfolio import add_bot

ServerFactory = Callable[..., Awaitable[TestServer]]
TOKEN = "pool-token-" + "x" * 24  # noqa: S105 - test value


class FakePool:
    """Answers `GET /summaries` from `entries`, as a pool does; records each query."""

    def __init__(self, entries: dict[str, dict[str, Any]], status: int = 200) -> None:
        self.entries = entries
        self.status = status
        self.queries: list[dict[str, str]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/summaries", self._summaries)
        return app

    async def _summaries(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        self.queries.append(dict(request.query))
        if self.status != 200:
            body = {"success": False, "code": "INTERNAL", "message": "boom"}
            return web.json_response(body, status=self.status)
        wanted = request.query["bots"].split(",")
        bots = {b: e for b, e in self.entries.items() if b in wanted}
        return web.json_response({"success": True, "pool": "p", "at": 1.0, "bots": bots})


def summary(total: float, status: list[dict[str, Any]], age: float = 1.0) -> dict[str, Any]:
    return {"at": 1.0, "age_s": age, "pid": 7, "state": "running", "status": status,
            "balance": {"total": total, "stake": "USDT"},
            "closed": {"trades": [closed_trade(3, "BTC/USDT")], "total_trades": 1}}  # fmt: skip


async def setup(
    make_client: ClientFactory, aiohttp_server: ServerFactory, pools: dict[str, FakePool]
) -> tuple[Services, str]:
    urls = [f"{pid}={(await aiohttp_server(p.app())).make_url('')}" for pid, p in pools.items()]
    client = await make_client(pools=tuple(urls), pool_token=TOKEN, summary_max_age=30)
    services = client.app[SERVICES]
    assert isinstance(services.portfolio.source, SummarySource)  # the default source
    return services, (await register_and_login(client)).user_id


async def place(services: Services, user_id: str, bot_id: str, pool_id: str | None) -> None:
    await add_bot(services, user_id, bot_id, "http://127.0.0.1:9/")
    if pool_id is not None:
        await services.bot_store.update(bot_id, pool_id=pool_id)


async def test_one_call_per_pool_and_every_failure_is_an_entry(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    trade = open_trade(1, "BTC/USDT", stake=120.5)
    first = FakePool({
        "fresh": summary(650.25, [trade]),
        "stale": summary(500, [], age=31),
        "crashed": {"error": "Bot is backoff"},
        "garbled": {"at": 1.0, "age_s": 1.0, "status": [], "balance": {}},
    })  # fmt: skip
    broken = FakePool({}, status=500)
    services, user_id = await setup(make_client, aiohttp_server, {"p1": first, "p2": broken})
    for bot_id in ("fresh", "stale", "crashed", "garbled", "gone"):
        await place(services, user_id, bot_id, "p1")
    await place(services, user_id, "lost", "p2")
    await place(services, user_id, "unplaced", None)
    await services.wallet.allocate(user_id, "fresh", "fresh bot", 60_000)

    body = portfolio_body(await services.portfolio.aggregate(user_id))

    errors = {b["instanceId"]: b.get("error") for b in body["bots"]}
    assert errors == {
        "fresh": None,
        "stale": "Bot has not reported for 31 s",
        "crashed": "Bot is backoff",
        "garbled": "Bot summary unreadable (KeyError)",
        "gone": "Bot is not on its pool",
        "lost": "Pool p2 failed: boom",
        "unplaced": "Bot has not started yet",
    }
    fresh = next(b for b in body["bots"] if b["instanceId"] == "fresh")
    assert fresh["status"] == [trade]  # FreqTrade's array, unchanged
    assert fresh["metrics"]["totalBalance"] == 650.25
    assert (body["activeBots"], body["botCount"], body["portfolioValue"]) == (1, 7, 650.25)
    # One call for the five bots of p1, none for the unplaced bot.
    assert len(first.queries) == 1 and first.queries[0]["closed"] == "0"
    assert sorted(first.queries[0]["bots"].split(",")) == [
        "crashed", "fresh", "garbled", "gone", "stale"
    ]  # fmt: skip
    assert len(broken.queries) == 1
    # The wallet follows the bot's figures as on the per-bot path.
    allocation = await services.wallet.allocation(user_id, "fresh")
    assert allocation is not None and allocation.current_value_cents == 65_025


async def test_positions_ask_for_closed_trades_only_when_shown(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    pool = FakePool({"b1": summary(100, [open_trade(7, "ETH/USDT", short=True)])})
    services, user_id = await setup(make_client, aiohttp_server, {"p1": pool})
    await place(services, user_id, "b1", "p1")

    everything = positions_body(await services.portfolio.positions(user_id, "all"))
    assert [(r["tradeId"], r["status"]) for r in everything["positions"]] == [
        (7, "open"), (3, "closed")
    ]  # fmt: skip
    only_open = positions_body(await services.portfolio.positions(user_id, "open"))
    assert [r["tradeId"] for r in only_open["positions"]] == [7]
    only_closed = positions_body(await services.portfolio.positions(user_id, "closed"))
    assert [r["tradeId"] for r in only_closed["positions"]] == [3]
    assert [q["closed"] for q in pool.queries] == ["1", "0", "1"]
