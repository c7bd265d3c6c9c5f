"""Real bots' FreqTrade APIs through their pool's control port (`bot_api_route=pool`).

The gateway's own BotApiClient does the calls, as it does in production; the raw calls check
what the pool lets through and what it refuses before anything reaches a bot.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any

import aiohttp
import psutil
import pytest
from yarl import URL

from gateway.services.trading.botapi import BotApiClient, BotOffline
from gateway.services.trading.botstore import BotEndpoint
from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN
from tests.runtime.rpc.conftest import LIVE, SPARE, RoutedPool

pytestmark = pytest.mark.e2e


def endpoint(routed: RoutedPool, bot_id: str) -> BotEndpoint:
    api = routed.views[bot_id]["api"]
    return BotEndpoint(bot_id, api["url"], api["username"])


async def raw(
    method: str, url: str | URL, headers: dict[str, str], **kwargs: Any
) -> tuple[int, dict[str, Any], Mapping[str, str]]:
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.request(method, url, headers=headers, **kwargs) as response:
            return response.status, await response.json(content_type=None), response.headers


async def jwt(routed: RoutedPool, bot_id: str) -> str:
    """A fresh access token of the bot, by a login through the pool (Basic auth passed on)."""
    api = routed.views[bot_id]["api"]
    basic = aiohttp.encode_basic_auth(api["username"], api["password"])
    status, body, _ = await raw(
        "POST",
        api["url"] + "/api/v1/token/login",
        {"Authorization": basic, "X-Pool-Token": POOL_TOKEN},
    )
    assert status == 200, body
    return str(body["access_token"])


async def test_the_status_reports_the_pools_url_and_the_bot_answers_through_it(
    routed_pool: RoutedPool,
) -> None:
    pool = routed_pool.pool
    for bot_id, view in routed_pool.views.items():
        assert view["api"]["url"] == f"{pool.url}/bots/{bot_id}"
    async with PoolClient(pool.url, POOL_TOKEN) as client:
        listed = {b["bot_id"]: b["api"]["url"] for b in await client.list_bots()}
    assert listed == {b: f"{pool.url}/bots/{b}" for b in routed_pool.views}

    api = BotApiClient(pool_token=POOL_TOKEN, timeout=10)
    try:
        live = endpoint(routed_pool, LIVE)
        assert await api.get_json(live, "/api/v1/ping") == {"status": "pong"}
        assert isinstance(await api.get_json(live, "/api/v1/status"), list)
        balance = await api.get_json(live, "/api/v1/balance")
        assert balance["stake"] == "USDT"
        assert balance["starting_capital"] == pytest.approx(1000 * 0.99)

        # The query string reaches the bot as it was sent.
        query = {"limit": "1", "offset": "3"}
        page = await api.request(live, "GET", "/api/v1/trades", params=query)
        assert page.status == 200 and page.content_type == "application/json"
        assert page.json()["offset"] == 3 and len(page.json()["trades"]) <= 1

        # A POST with a body: a forced entry, then seen in the bot's open trades.
        await api.post_json(live, "/api/v1/forceexit", {"tradeid": "all"})
        entered = None
        for pair in ("ETH/USDT", "BTC/USDT"):
            reply = await api.request(
                live, "POST", "/api/v1/forceenter", body=b'{"pair": "%s"}' % pair.encode()
            )
            if reply.status == 200 and "trade_id" in reply.json():
                entered = reply.json()["trade_id"]
                break
        assert entered is not None

        async def open_ids() -> set[int]:
            return {t["trade_id"] for t in await api.get_json(live, "/api/v1/status")}

        assert entered in await open_ids()
        # The bot's own errors come back as the bot gave them (FreqTrade's 404 body).
        missing = await api.request(live, "GET", "/api/v1/no-such-route")
        assert missing.status == 404 and missing.json() == {"detail": "Not Found"}
    finally:
        await api.close()


async def test_the_pool_token_is_required_before_anything_reaches_the_bot(
    routed_pool: RoutedPool,
) -> None:
    url = routed_pool.views[SPARE]["api"]["url"]
    bearer = {"Authorization": f"Bearer {await jwt(routed_pool, SPARE)}"}
    state_of = f"{url}/api/v1/show_config"
    right = {**bearer, "X-Pool-Token": POOL_TOKEN}

    for sent in (
        bearer,  # the bot's token alone
        {**bearer, "X-Pool-Token": "wrong-" + POOL_TOKEN},
        {**bearer, "X-Pool-Token": ""},
        {"Authorization": f"Bearer {POOL_TOKEN}"},  # the pool's usual header is not it here
    ):
        status, body, _ = await raw("POST", f"{url}/api/v1/stop", sent)
        assert status == 401
        assert body == {
            "success": False,
            "code": "UNAUTHORIZED",
            "message": "missing or wrong X-Pool-Token",
        }
        status, config, _ = await raw("GET", state_of, right)
        assert status == 200 and config["state"] == "running"  # the stop never arrived

    # The same call with the pool's token does reach the bot (FreqTrade stops its trader).
    status, body, headers = await raw("POST", f"{url}/api/v1/stop", right)
    assert status == 200 and "stop" in body["status"].lower()
    assert headers["Content-Type"] == "application/json" and headers["X-Request-ID"]
    status, config, _ = await raw("GET", state_of, right)
    assert status == 200 and config["state"] == "stopped"

    # Every other route keeps the bearer check, and X-Pool-Token does not open them.
    pool = routed_pool.pool.url
    assert (await raw("GET", f"{pool}/bots", {"X-Pool-Token": POOL_TOKEN}))[0] == 401
    assert (await raw("GET", f"{pool}/bots", {"Authorization": f"Bearer {POOL_TOKEN}"}))[0] == 200


async def test_unknown_stopped_and_starting_bots_answer_clear_errors(
    routed_pool: RoutedPool,
) -> None:
    pool = routed_pool.pool.url
    token = {"X-Pool-Token": POOL_TOKEN}
    status, body, _ = await raw("GET", f"{pool}/bots/nobody/api/v1/ping", token)
    assert (status, body["code"]) == (404, "BOT_NOT_FOUND")
    for tail in ("../../health", "%2e%2e/%2E%2E/health", "./ping"):
        dotted = URL(f"{pool}/bots/{LIVE}/api/v1/{tail}", encoded=True)  # sent as written
        status, body, _ = await raw("GET", dotted, token)
        assert (status, body.get("code")) == (404, "INVALID_PATH"), (tail, body)

    api = BotApiClient(pool_token=POOL_TOKEN, timeout=10)
    spare = endpoint(routed_pool, SPARE)
    ping = f"{spare.url}/api/v1/ping"
    try:
        async with PoolClient(pool, POOL_TOKEN, timeout=60) as client:
            await client.stop_bot(SPARE)
            await client.wait_for_state(SPARE, "stopped", 60, 0.2)
            status, body, _ = await raw("GET", ping, token)
            assert (status, body["code"]) == (409, "BOT_NOT_RUNNING")
            assert body["message"] == f"bot {SPARE} is stopped: its API is not running"
            with pytest.raises(BotOffline) as offline:
                await api.get_json(spare, "/api/v1/ping")
            assert "409 BOT_NOT_RUNNING" in offline.value.reason

            # Starting: the process exists, its API does not listen yet.
            started = await client.start_bot(SPARE)
            assert started["state"] == "starting"
            status, body, _ = await raw("GET", ping, token)
            assert (status, body["code"]) == (502, "BOT_UNREACHABLE"), body
            assert body["message"].startswith(f"bot {SPARE} did not answer")
            await client.wait_for_state(SPARE, "running", 180, 0.5)
        assert await api.get_json(spare, "/api/v1/ping") == {"status": "pong"}
    finally:
        await api.close()


def _other_addresses() -> list[str]:
    """This machine's addresses that are not loopback (IPv4 and IPv6, no link-local)."""
    found = []
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            ip = ipaddress.ip_address(address.address.split("%")[0])
            if not (ip.is_loopback or ip.is_link_local):
                found.append(str(ip))
    return found


async def test_the_bots_still_listen_on_loopback_only(routed_pool: RoutedPool) -> None:
    port = int(routed_pool.views[LIVE]["api_port"])
    listening = {
        c.laddr.ip
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    }
    assert listening == {"127.0.0.1"}
    for address in _other_addresses():  # 192.0.2.2, fd00::2 here
        with pytest.raises(OSError):  # refused: nothing listens there
            socket.create_connection((address, port), timeout=2).close()
    socket.create_connection(("127.0.0.1", port), timeout=2).close()  # where it does listen
