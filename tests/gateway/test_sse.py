"""X1: the SSE stream over real HTTP: auth by ?token=, headers, events, sharing, pings, close."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.keys import SERVICES
from gateway.services.dashboard.portfolio import Portfolio, PortfolioService
from gateway.sse import StreamHub
from tests.gateway.conftest import AppClient, ClientFactory, register_and_login
from tests.gateway.fakebot import FakeBot, open_trade
from tests.gateway.fakebot import per_bot_source as make_settings  # noqa: F401 - fixture
from tests.gateway.services.dashboard.test_portfolio import add_bot, serve
from tests.helpers import async_wait_until

ServerFactory = Callable[..., Awaitable[TestServer]]
ORIGIN = "http://localhost:5173"


async def next_message(response: aiohttp.ClientResponse, limit: float = 10) -> tuple[str, Any]:
    """One SSE message: (event name, parsed data), or ("ping", None) for a comment."""
    name, data = "", ""
    async with asyncio.timeout(limit):
        while True:
            raw = await response.content.readline()
            if not raw:
                return "eof", None
            line = raw.decode().rstrip("\n")
            if line == "":
                if name or data:
                    return name or "message", json.loads(data)
                continue
            if line.startswith(":"):
                return "ping", None
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data += value


async def until(response: aiohttp.ClientResponse, wanted: str) -> tuple[Any, list[str]]:
    """Read messages until `wanted`; returns its data and the names seen before it."""
    seen: list[str] = []
    while True:
        name, data = await next_message(response)
        if name == wanted:
            return data, seen
        assert name != "eof", seen
        seen.append(name)


def count_aggregations(client: AppClient) -> list[str]:
    """Record every aggregation the portfolio service makes (by user id)."""
    service: PortfolioService = client.app[SERVICES].portfolio
    original = service.aggregate
    calls: list[str] = []

    async def counted(user_id: str) -> Portfolio:
        calls.append(user_id)
        return await original(user_id)

    service.aggregate = counted  # type: ignore[method-assign]
    return calls


async def test_stream_events_headers_and_shared_aggregation(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    client = await make_client(stream_interval=30, stream_ping_interval=30)
    account = await register_and_login(client)
    bot = FakeBot(total=1010.0, status=[open_trade(4, "BTC/USDT")])
    await add_bot(client.app[SERVICES], account.user_id, "b1", await serve(aiohttp_server, bot))
    calls = count_aggregations(client)

    first = await client.get(
        "/api/freqtrade/stream", params={"token": account.token}, headers={"Origin": ORIGIN}
    )
    assert first.status == 200
    assert first.headers["Content-Type"] == "text/event-stream"
    assert first.headers["Cache-Control"] == "no-cache"
    assert first.headers["X-Accel-Buffering"] == "no"
    assert first.headers["Connection"].lower() == "keep-alive"
    assert first.headers["Access-Control-Allow-Origin"] == ORIGIN

    assert await next_message(first) == (
        "connected",
        {"timestamp": _any_int, "status": "connected"},
    )
    portfolio, _ = await until(first, "portfolio")
    assert portfolio["portfolioValue"] == 1010.0 and portfolio["botCount"] == 1
    assert portfolio["bots"][0]["status"] == bot.status  # an array: "running" for the dashboard
    positions, _ = await until(first, "positions")
    assert positions["count"] == 1
    row = positions["positions"][0]
    assert (row["botId"], row["side"], row["status"], row["entryPrice"]) == (
        "b1", "long", "open", 50000.0
    )  # fmt: skip

    # A second stream of the same user (another path) gets the same batch without a new round.
    second = await client.get("/api/stream", params={"token": account.token})
    assert second.status == 200
    assert (await next_message(second))[0] == "connected"
    assert (await until(second, "portfolio"))[0] == portfolio
    assert (await until(second, "positions"))[0] == positions
    assert calls == [account.user_id]
    hub: StreamHub = client.app[SERVICES].stream
    assert hub.streams(account.user_id) == 2 and hub.latest(account.user_id) is not None

    first.close()
    second.close()

    async def no_streams() -> bool:
        return hub.streams(account.user_id) == 0

    # The hub lets go of a stream as soon as its connection is gone; the producer stops.
    await async_wait_until(no_streams, timeout=10, what="streams released")
    assert hub.latest(account.user_id) is None


class _AnyInt:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, int) and not isinstance(other, bool)


_any_int: Any = _AnyInt()


async def test_a_failed_aggregation_skips_a_beat_and_pings_keep_the_line(
    make_client: ClientFactory,
) -> None:
    client = await make_client(stream_interval=0.3, stream_ping_interval=0.1)
    account = await register_and_login(client)
    service: PortfolioService = client.app[SERVICES].portfolio
    original = service.aggregate
    failures = [RuntimeError("database hiccup")]

    async def flaky(user_id: str) -> Portfolio:
        if failures:
            raise failures.pop()
        return await original(user_id)

    service.aggregate = flaky  # type: ignore[method-assign]
    response = await client.get("/api/freqtrade/api/stream", params={"token": account.token})
    portfolio, seen = await until(response, "portfolio")
    assert portfolio["botCount"] == 0 and portfolio["bots"] == []
    assert "ping" in seen and "error" not in seen
    response.close()


async def test_stream_needs_a_valid_query_token(make_client: ClientFactory) -> None:
    client = await make_client()
    response = await client.get("/api/freqtrade/stream", params={"token": "nonsense"})
    assert response.status == 401
    body = await response.json()
    assert body["success"] is False and body["message"]
    assert (await client.get("/api/stream")).status == 401


async def test_close_ends_every_stream_cleanly(make_client: ClientFactory) -> None:
    client = await make_client(stream_interval=30, stream_ping_interval=30)
    account = await register_and_login(client)
    response = await client.get("/api/stream", params={"token": account.token})
    await until(response, "positions")
    await client.app[SERVICES].stream.close()
    assert await next_message(response) == ("eof", None)
    refused = await client.get("/api/stream", params={"token": account.token})
    assert refused.status == 503
