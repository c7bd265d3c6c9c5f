"""PostHog product events of the gateway, driven through the real app, at a capture server.

The pool is the real control API (`runtime.rpc.app`) whose bot processes are the runtime
tests' fake OS seam; events go through the real `posthog` library to
`tests.fixtures.posthog.CaptureServer`, which the app's clean-up flushes into.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from gateway.keys import ANALYTICS, SERVICES
from observability.analytics import EMAIL
from runtime.rpc.app import create_app as create_pool_app
from runtime.settings import PoolSettings
from tests.fixtures.pools import POOL_TOKEN
from tests.fixtures.posthog import API_KEY, CaptureServer
from tests.gateway.conftest import ClientFactory, register_and_login
from tests.helpers import free_port
from tests.runtime.fakes import FakeLauncher

ServerFactory = Callable[..., Awaitable[TestServer]]
BOT = {
    "instanceId": "alice-bot-1", "strategy": "SandboxScalp1m", "exchange": "kraken",
    "stake_currency": "USD", "stake_amount": 50, "max_open_trades": 3, "dry_run": True,
    "tradingPairs": ["BTC/USD", "ETH/USD"], "initialBalance": 300, "timeframe": "1m",
}  # fmt: skip


async def _pool(aiohttp_server: ServerFactory, data_dir: Path) -> str:
    low = 20_000 + free_port() % 30_000
    settings = PoolSettings(
        pool_id="p1", data_dir=data_dir, control_port=free_port(), api_port_min=low,
        api_port_max=low + 20, capacity=3, token=POOL_TOKEN, exchange_url="http://127.0.0.1:9",
    )  # fmt: skip
    server = await aiohttp_server(create_pool_app(settings, FakeLauncher()))
    return str(server.make_url("")).rstrip("/")


async def test_each_product_event_reaches_posthog_for_its_user(
    make_client: ClientFactory,
    aiohttp_server: ServerFactory,
    capture_server: CaptureServer,
    tmp_path: Path,
) -> None:
    pool_url = await _pool(aiohttp_server, tmp_path / "pool")
    client = await make_client(
        pools=(f"p1={pool_url}",), pool_token=POOL_TOKEN,
        posthog_key=API_KEY, posthog_host=capture_server.url,
    )  # fmt: skip
    services = client.app[SERVICES]
    assert client.app[ANALYTICS].enabled
    await services.pools.check_health()  # the pool is healthy: bots can be placed

    alice = await register_and_login(client, "alice@example.com")
    response = await client.post(
        "/api/account/wallet/deposit", json={"amount": 250}, headers=alice.auth
    )
    assert response.status == 200, await response.text()
    response = await client.post("/api/freqtrade/provision", json=BOT, headers=alice.auth)
    assert response.status == 201, await response.text()
    bot_id = BOT["instanceId"]
    response = await client.post(f"/api/freqtrade/bots/{bot_id}/stop", headers=alice.auth)
    assert response.status == 200, await response.text()

    admin = await register_and_login(client, "admin@example.com")
    await services.users.set_role(admin.user_id, "admin")
    response = await client.post(  # a token with the role
        "/api/auth/login", json={"email": admin.email, "password": admin.password}
    )
    admin_auth = {"Authorization": f"Bearer {(await response.json())['token']}"}
    response = await client.post(
        "/api/admin/strategies/SandboxScalp1m/deploy", json={"botId": bot_id}, headers=admin_auth
    )
    assert response.status == 200, await response.text()
    response = await client.delete(f"/api/freqtrade/bots/{bot_id}", headers=alice.auth)
    assert response.status == 200, await response.text()

    metrics = await (await client.get("/metrics")).text()
    assert "cryptopilot_analytics_events_dropped_total 0.0" in metrics
    await client.close()  # the gateway's clean-up flushes the queue

    events = {e["event"]: e for e in capture_server.events()}
    signed_up = capture_server.events("user_signed_up")
    assert [e["distinct_id"] for e in signed_up] == [alice.user_id, admin.user_id]
    assert signed_up[0]["properties"]["auth_provider"] == "local"
    deposit = events["wallet_deposit"]
    assert (deposit["distinct_id"], deposit["properties"]["amount"]) == (alice.user_id, 250.0)
    provisioned = events["bot_provisioned"]
    assert provisioned["distinct_id"] == alice.user_id
    props = provisioned["properties"]
    assert (props["bot_id"], props["pool_id"], props["strategy"]) == (
        bot_id,
        "p1",
        "SandboxScalp1m",
    )
    assert (props["initial_balance"], props["pair_count"], props["adopted"]) == (300.0, 2, False)
    deployed = events["strategy_deployed"]
    assert deployed["distinct_id"] == alice.user_id  # the bot's owner, not the admin
    assert deployed["properties"]["bot_id"] == bot_id
    assert deployed["properties"]["rolled_back"] is False
    deleted = events["bot_deleted"]
    assert deleted["distinct_id"] == alice.user_id and deleted["properties"]["bot_id"] == bot_id
    assert all(e["properties"]["service"] == "gateway" for e in capture_server.events())
    assert not EMAIL.search(json.dumps(capture_server.events()))


async def test_off_without_a_key_and_the_metric_is_still_served(
    make_client: ClientFactory, capture_server: CaptureServer
) -> None:
    client = await make_client()
    assert not client.app[ANALYTICS].enabled
    await register_and_login(client, "bob@example.com")
    text = await (await client.get("/metrics")).text()
    assert "# TYPE cryptopilot_analytics_events_dropped_total counter" in text
    await client.close()
    assert capture_server.requests == []


def test_the_settings_keep_the_key_secret(make_settings: Callable[..., Any]) -> None:
    settings = make_settings(posthog_key="phc_secret_value")
    assert "phc_secret_value" not in repr(settings)
    assert settings.posthog_host.startswith("https://")
