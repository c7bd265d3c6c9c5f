"""The per-bot FreqTrade proxy against a stand-in bot over real HTTP (real bots: test_portfolio)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from gateway.errors import Forbidden, NotFound
from gateway.handlers.proxy import bot_path
from gateway.keys import SERVICES
from tests.gateway.conftest import ClientFactory, register_and_login
from tests.gateway.fakebot import TOKEN, FakeBot
from tests.gateway.services.dashboard.test_portfolio import add_bot, serve
from tests.helpers import free_port

ServerFactory = Callable[..., Awaitable[TestServer]]


def test_only_api_v1_paths_without_token_routes_pass() -> None:
    assert bot_path("api/v1/balance") == "/api/v1/balance"
    assert bot_path("api//v1/trades/3/") == "/api/v1/trades/3"
    for tail in ("", "api", "api/v2/x", "docs", "api/v1/../../etc/passwd", "./api/v1/x"):
        with pytest.raises(NotFound):
            bot_path(tail)
    for tail in ("api/v1/token/login", "api/v1//token/refresh", "api/v1/token"):
        with pytest.raises(Forbidden):
            bot_path(tail)


async def test_proxy_passes_answers_through_unchanged(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    client = await make_client()
    alice = await register_and_login(client)
    bot = FakeBot(total=1234.5)
    url = await serve(aiohttp_server, bot)
    await add_bot(client.app[SERVICES], alice.user_id, "alice-bot-1", url)

    proxied = await client.get(
        "/api/freqtrade/proxy/alice-bot-1/api/v1/balance", headers=alice.auth
    )
    async with aiohttp.ClientSession() as session:
        direct_url = f"{url}/api/v1/balance"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with session.get(direct_url, headers=headers) as direct:
            direct_body = await direct.read()
            direct_type = direct.headers["Content-Type"]
    assert proxied.status == 200
    assert await proxied.read() == direct_body
    assert proxied.headers["Content-Type"] == direct_type

    # Method, query string, body, status and content type all travel unchanged.
    echoed = await client.post(
        "/api/freqtrade/proxy/alice-bot-1/api/v1/echo?limit=5&x=a%20b",
        data=b'{"pair": "BTC/USDT"}',
        headers={**alice.auth, "Content-Type": "application/json"},
    )
    assert echoed.status == 418
    assert echoed.headers["Content-Type"].startswith("text/plain")
    assert await echoed.json(content_type=None) == {
        "method": "POST", "query": {"limit": "5", "x": "a b"}, "body": '{"pair": "BTC/USDT"}'
    }  # fmt: skip
    for method in ("PUT", "PATCH", "DELETE"):
        answer = await client.request(
            method, "/api/freqtrade/proxy/alice-bot-1/api/v1/echo", headers=alice.auth
        )
        assert (await answer.json(content_type=None))["method"] == method

    # FreqTrade's own 404 passes through too.
    missing = await client.get(
        "/api/freqtrade/proxy/alice-bot-1/api/v1/nothing", headers=alice.auth
    )
    assert missing.status == 404 and missing.headers["Content-Type"].startswith("text/plain")


async def test_proxy_refuses_strangers_and_reports_offline_bots(
    make_client: ClientFactory, aiohttp_server: ServerFactory
) -> None:
    client = await make_client(proxy_timeout=1)
    alice = await register_and_login(client)
    bob = await register_and_login(client, "bob@example.com")
    services = client.app[SERVICES]
    await add_bot(services, alice.user_id, "alice-bot-1", await serve(aiohttp_server, FakeBot()))
    await add_bot(services, alice.user_id, "stopped-bot", await serve(aiohttp_server, FakeBot()),
                  desired="stopped")  # fmt: skip
    await add_bot(services, alice.user_id, "unplaced-bot", None)
    await add_bot(services, alice.user_id, "dead-bot", f"http://127.0.0.1:{free_port()}")

    async def get(path: str, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        response = await client.get(f"/api/freqtrade/proxy/{path}", headers=headers)
        return response.status, await response.json()

    status, body = await get("alice-bot-1/api/v1/balance", bob.auth)
    # Someone else's bot answers as a missing one: its id cannot be probed for.
    assert (status, body["code"], body["success"]) == (404, "BOT_NOT_FOUND", False)
    status, body = await get("nobody-bot/api/v1/balance", bob.auth)
    assert (status, body["message"]) == (404, "Instance not found")
    status, body = await get("alice-bot-1/api/v1/token/login", alice.auth)
    assert status == 403
    status, body = await get("alice-bot-1/openapi.json", alice.auth)
    assert status == 404
    assert (await client.get("/api/freqtrade/proxy/alice-bot-1/api/v1/balance")).status == 401

    for bot_id in ("stopped-bot", "unplaced-bot", "dead-bot"):
        status, body = await get(f"{bot_id}/api/v1/balance", alice.auth)
        assert status == 502, bot_id
        assert body["success"] is False
        assert (body["error"], body["code"], body["message"]) == (
            "Bot is offline", "BOT_OFFLINE", "Bot is offline"
        )  # fmt: skip
