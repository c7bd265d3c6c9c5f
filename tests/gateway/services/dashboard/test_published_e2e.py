"""Published summaries end to end: P1 and P4 from the pool equal what the bots' APIs answer.

Real pool, real FreqTrade bots trading on the sandbox, the gateway on its default source
(`portfolio_source = "summaries"`). Within one loop pass of every bot (the pool's summaries
carry the pass time, checked before and after) the portfolio read from the pool and the one
read from each bot's own FreqTrade API must be the same, field for field: the figures are
FreqTrade's in both. A stopped supervisor then turns every entry into an error, as a silent
bot does, and no bot API is called for a portfolio read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.keys import SERVICES
from gateway.models.portfolio import portfolio_body, positions_body
from gateway.services.common import utcnow
from gateway.services.dashboard.live import BotApiSource
from gateway.services.dashboard.portfolio import Portfolio, Positions
from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, gateway_settings, running_pool
from tests.gateway.conftest import register_and_login
from tests.gateway.test_trading_e2e import provision_body
from tests.helpers import async_wait_until

AppClient = TestClient[Any, Any]

BOTS = [
    {
        "instanceId": "summary-bot-1",
        "strategy": "SandboxScalp1m",
        "stake_currency": "USD",
        "tradingPairs": ["BTC/USD", "ETH/USD", "SOL/USD"],
        "initialBalance": 300,
        "timeframe": "1m",
    },
    {
        "instanceId": "summary-bot-2",
        "strategy": "SandboxScalp1m",
        "stake_currency": "USDT",
        "tradingPairs": ["BTC/USDT", "ETH/USDT"],
        "initialBalance": 200,
        "timeframe": "1m",
    },
]


def without_time(body: dict[str, Any]) -> dict[str, Any]:
    """The body without the moment it was built at (P1 `timestamp`, P4 `metadata.timestamp`)."""
    kept = {k: v for k, v in body.items() if k != "timestamp"}
    if isinstance(kept.get("metadata"), dict):
        kept["metadata"] = without_time(kept["metadata"])
    return kept


@pytest.mark.e2e
async def test_portfolio_from_summaries_equals_the_bots_own_answers(
    aiohttp_client: Callable[..., Awaitable[AppClient]],
    sandbox_url: str,
    tmp_path: Path,
) -> None:
    with running_pool(tmp_path / "pool", sandbox_url, pool_id="pool-s", capacity=2) as pool:
        settings = gateway_settings(tmp_path, {"pool-s": pool.url})
        assert settings.portfolio_source == "summaries"
        client = await aiohttp_client(create_app(settings))
        services = client.app[SERVICES]
        alice = await register_and_login(client, "alice@example.com")

        async def pool_healthy() -> bool:
            return len(await services.pools.placement_candidates()) == 1

        await async_wait_until(pool_healthy, timeout=30, what="the pool healthy")
        for bot in BOTS:
            response = await client.post(
                "/api/freqtrade/provision", json=provision_body(bot), headers=alice.auth
            )
            assert response.status == 201, await response.text()

        async def p1() -> dict[str, Any]:
            response = await client.get("/api/freqtrade/portfolio", headers=alice.auth)
            assert response.status == 200
            return dict(await response.json())

        async def traded() -> bool:
            body = await p1()
            return body["activeBots"] == 2 and any(b["status"] for b in body["bots"])

        await async_wait_until(traded, timeout=240, interval=2, what="both bots up, one trade")

        records = await services.bot_store.list_for_user(alice.user_id)
        live = BotApiSource(services.bot_api, timeout=10, concurrency=4)
        async with PoolClient(pool.url, POOL_TOKEN) as control:

            async def passes() -> dict[str, float]:
                found = await control.summaries(closed=True)
                return {bot_id: entry["at"] for bot_id, entry in found.items()}

            for _ in range(30):  # until all four reads fall inside one pass of both bots
                before = await passes()
                from_bots = await live.holdings(records)
                closed_from_bots = await live.trades(records, "all")
                from_pool = await p1()
                response = await client.get(
                    "/api/freqtrade/portfolio/positions", headers=alice.auth
                )
                positions = dict(await response.json())
                if await passes() == before:
                    break
            else:
                pytest.fail("no read fell inside one loop pass in 30 tries")

        assert all(b.error is None for b in from_bots)
        expected = portfolio_body(Portfolio(alice.user_id, utcnow(), from_bots))
        assert without_time(from_pool) == without_time(dict(expected))
        assert any(b["status"] for b in from_pool["bots"])  # the comparison covers a trade
        expected_positions = positions_body(
            Positions(alice.user_id, utcnow(), "all", closed_from_bots)
        )
        assert without_time(positions) == without_time(dict(expected_positions))

        # A pool that does not answer: every entry is an error, the read still answers.
        pool.process.kill()
        pool.process.wait(timeout=10)
        down = await p1()
        assert down["activeBots"] == 0 and down["botCount"] == 2
        assert all("error" in b for b in down["bots"])
