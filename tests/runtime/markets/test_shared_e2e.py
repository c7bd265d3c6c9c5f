"""A real pool (`cryptopilot pool run`) with real bots: the exchange serves its market list
once to the warm parent, not once per bot; if the warm parent cannot load it, the pool still
starts and each bot loads its own, as before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.runtime.conftest import bot_body
from tests.runtime.markets.conftest import EXCHANGE_INFO, CountingExchange


async def _start(client: PoolClient, bot_id: str) -> None:
    await client.add_bot(bot_body(bot_id))
    await client.wait_for_state(bot_id, "running", deadline_s=120, interval=0.2)


async def _log(client: PoolClient, bot_id: str) -> str:
    records = (await client.bot_logs(bot_id, lines=500))["logs"]
    return "\n".join(str(record["message"]) for record in records)


@pytest.mark.e2e
async def test_bots_use_the_markets_their_warm_parent_loaded(
    tmp_path: Path, counting_exchange: Callable[[], CountingExchange]
) -> None:
    exchange = counting_exchange()
    with running_pool(tmp_path / "pool", exchange.url, pool_id="shared", capacity=2) as pool:
        assert exchange.count(EXCHANGE_INFO) == 1  # the warm parent, before any bot
        async with PoolClient(pool.url, POOL_TOKEN) as client:
            await _start(client, "first")
            # + the pool's own check of the bot's pairs (a short-lived warm child, cached)
            assert exchange.count(EXCHANGE_INFO) == 2
            await _start(client, "second")
            assert exchange.count(EXCHANGE_INFO) == 2  # bots ask for no market list
            for bot_id in ("first", "second"):
                assert "shared from the warm parent" in await _log(client, bot_id)
            assert exchange.count("/api/v3/klines") > 0  # the bots do trade through it


@pytest.mark.e2e
async def test_a_warm_parent_that_cannot_load_the_markets_leaves_bots_loading_their_own(
    tmp_path: Path, counting_exchange: Callable[[], CountingExchange]
) -> None:
    exchange = counting_exchange()
    exchange.refusing = True  # the exchange is down while the pool starts
    with running_pool(tmp_path / "pool", exchange.url, pool_id="unshared", capacity=2) as pool:
        assert exchange.count(EXCHANGE_INFO) == 1
        assert "no shared markets for binance" in (tmp_path / "unshared.log").read_text()
        exchange.refusing = False
        async with PoolClient(pool.url, POOL_TOKEN) as client:
            await _start(client, "first")
            assert exchange.count(EXCHANGE_INFO) == 3  # + the pairs check + the bot's own
            await _start(client, "second")
            assert exchange.count(EXCHANGE_INFO) == 4  # + the second bot's own
            for bot_id in ("first", "second"):
                assert "none shared by the warm parent" in await _log(client, bot_id)
