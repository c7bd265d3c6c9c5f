"""The gateway reaches a real bot through its pool's port: the FreqTrade proxy and P1.

The bot's row starts with a URL that no longer answers (as after a pool restarted with
`bot_api_route=pool`, or moved): one reconcile pass stores what the pool reports now, and the
gateway's calls then go through the pool.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.keys import SERVICES
from tests.fixtures.pools import POOL_TOKEN
from tests.gateway.conftest import (  # noqa: F401 - fixtures (this package's make_settings is the pool's)
    ClientFactory,
    db_url,
    make_client,
    make_settings,
    register_and_login,
)
from tests.helpers import free_port
from tests.runtime.rpc.conftest import LIVE, POOL_ID, RoutedPool

pytestmark = pytest.mark.e2e


async def test_the_gateway_proxy_and_portfolio_answer_through_the_pool(
    make_client: ClientFactory,  # noqa: F811 - the fixture imported above
    routed_pool: RoutedPool,
) -> None:
    pool = routed_pool.pool
    client = await make_client(
        pools=(f"{POOL_ID}={pool.url}",), pool_token=POOL_TOKEN, bot_timeout=5, proxy_timeout=10
    )
    services = client.app[SERVICES]
    alice = await register_and_login(client)
    view = routed_pool.views[LIVE]
    stale = f"http://127.0.0.1:{free_port()}"  # where the bot was reported before: gone
    await services.bot_store.create(
        id=LIVE,
        user_id=alice.user_id,
        pool_id=POOL_ID,
        strategy="SandboxScalp1m",
        exchange="binance",
        stake_currency="USDT",
        stake_amount="unlimited",
        max_open_trades=3,
        timeframe="1m",
        pairs=["BTC/USDT", "ETH/USDT"],
        dry_run=True,
        wallet_cents=100_000,
        desired_state="running",
        api_url=stale,
        api_username=view["api"]["username"],
        api_port=view["api_port"],
    )
    balance_path = f"/api/freqtrade/proxy/{LIVE}/api/v1/balance"
    before = await client.get(balance_path, headers=alice.auth)
    assert before.status == 502 and (await before.json())["code"] == "BOT_OFFLINE"

    # The reconciler stores the URL the pool reports now.
    await services.reconciler.run_once(alice.user_id)
    record = await services.bot_store.find(LIVE)
    assert record is not None and record.api_url == f"{pool.url}/bots/{LIVE}"
    assert record.observed_state == "running"

    async def proxied(method: str, tail: str, **kwargs: Any) -> tuple[int, Any]:
        response = await client.request(
            method, f"/api/freqtrade/proxy/{LIVE}/api/v1/{tail}", headers=alice.auth, **kwargs
        )
        assert response.content_type == "application/json"
        return response.status, await response.json()

    status, balance = await proxied("GET", "balance")
    assert status == 200 and balance["stake"] == "USDT"
    assert balance["starting_capital"] == pytest.approx(1000 * 0.99)
    status, page = await proxied("GET", "trades?limit=2&offset=1")
    assert status == 200 and page["offset"] == 1 and len(page["trades"]) <= 2
    status, config = await proxied("GET", "show_config")
    assert status == 200 and config["bot_name"] and config["state"] == "running"
    status, answer = await proxied("POST", "forceexit", json={"tradeid": "all"})
    assert status == 200, answer

    # P1: the portfolio reads the bot's open trades and balance through the pool as well.
    portfolio = await (await client.get("/api/freqtrade/portfolio", headers=alice.auth)).json()
    (bot,) = portfolio["bots"]
    assert bot["instanceId"] == LIVE and "error" not in bot, bot
    assert isinstance(bot["status"], list)
    assert bot["metrics"]["startingCapital"] == 1000.0
    assert bot["metrics"]["totalBalance"] == pytest.approx(balance["total"], rel=0.02)

    # The token routes stay closed to users, whatever the route to the bot.
    refused = await client.post(
        f"/api/freqtrade/proxy/{LIVE}/api/v1/token/login", headers=alice.auth
    )
    assert refused.status == 403
