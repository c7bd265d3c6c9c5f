"""GET /api/freqtrade/markets: the pairs of one quote, read from the real sandbox exchange."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.services.trading.markets import MarketCatalogue
from tests.gateway.conftest import ClientFactory, register_and_login
from tests.helpers import free_port


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the route reads the exchange, not the database."""
    return f"sqlite+aiosqlite:///{tmp_path}/gateway.sqlite3"


async def test_pairs_per_quote_from_the_sandbox(
    make_client: ClientFactory, sandbox_url: str
) -> None:
    client = await make_client(market_url=sandbox_url)
    account = await register_and_login(client)
    answer = await client.get("/api/freqtrade/markets?quote=USDT", headers=account.auth)
    assert answer.status == 200
    body = await answer.json()
    assert body["success"] is True and body["quote"] == "USDT"
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT"} <= set(body["pairs"])
    assert body["pairs"] == sorted(body["pairs"])
    assert all(pair.endswith("/USDT") for pair in body["pairs"])
    eur = await (await client.get("/api/freqtrade/markets?quote=eur", headers=account.auth)).json()
    assert "BTC/EUR" in eur["pairs"] and all(pair.endswith("/EUR") for pair in eur["pairs"])


async def test_bad_quote_unreachable_market_and_no_token(make_client: ClientFactory) -> None:
    client = await make_client(market_url=f"http://127.0.0.1:{free_port()}")
    account = await register_and_login(client)
    bad = await client.get("/api/freqtrade/markets?quote=DOGE", headers=account.auth)
    assert bad.status == 400
    assert (await bad.json())["code"] == "INVALID_QUOTE"
    down = await client.get("/api/freqtrade/markets?quote=USDT", headers=account.auth)
    assert down.status == 503
    assert (await down.json())["code"] == "MARKET_UNAVAILABLE"
    assert (await client.get("/api/freqtrade/markets")).status == 401


async def test_one_fetch_serves_many_reads_until_the_cache_expires(sandbox_url: str) -> None:
    catalogue = MarketCatalogue(sandbox_url, ttl=60)
    first = await catalogue.pairs("USD")
    fetched_at = catalogue._fetched_at
    assert await catalogue.pairs("USD") == first
    assert catalogue._fetched_at == fetched_at  # served from the cache
    catalogue.ttl = 0
    await catalogue.pairs("USD")
    assert catalogue._fetched_at > fetched_at
