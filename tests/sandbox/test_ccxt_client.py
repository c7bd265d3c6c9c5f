"""Real ccxt (async binance) against a real sandbox process, configured by `botconfig`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from runtime.exchange import ccxt_config
from sandbox.botconfig import exchange_config, sandbox_exchange

PAIRS = ["BTC/USDT", "ETH/USD", "SOL/EUR"]


@pytest.fixture
async def exchange(sandbox_url: str) -> AsyncIterator[Any]:
    client = ccxt_async.binance(exchange_config(sandbox_url, PAIRS)["ccxt_async_config"])
    try:
        yield client
    finally:
        await client.close()


async def test_load_markets_sees_every_quote_as_spot(exchange: Any) -> None:
    markets = await exchange.load_markets()
    for pair in PAIRS + ["DOGE/USD", "LINK/EUR", "AVAX/USDT"]:
        market = markets[pair]
        assert market["spot"] is True and market["active"] is True
        assert market["limits"]["cost"]["min"] == 5.0
        assert market["precision"]["price"] > 0 and market["precision"]["amount"] > 0
    assert not any(m["contract"] for m in markets.values())


async def test_fetch_ohlcv_follows_the_clock_and_pages(exchange: Any) -> None:
    await exchange.load_markets()
    candles = await exchange.fetch_ohlcv("BTC/USDT", "1m", limit=1000)
    assert len(candles) == 1000
    now_ms = int(time.time() * 1000)
    assert now_ms - 60_000 <= candles[-1][0] <= now_ms
    since = candles[0][0]
    page = await exchange.fetch_ohlcv("BTC/USDT", "1m", since=since, limit=10)
    assert page == candles[:10]
    hourly = await exchange.fetch_ohlcv("ETH/USD", "1h", limit=1000)
    assert len(hourly) == 1000


async def test_order_book_and_tickers(exchange: Any) -> None:
    await exchange.load_markets()
    book = await exchange.fetch_order_book("SOL/EUR", limit=20)
    assert len(book["bids"]) == len(book["asks"]) == 20
    assert book["bids"][0][0] < book["asks"][0][0]
    ticker = await exchange.fetch_ticker("SOL/EUR")
    assert ticker["symbol"] == "SOL/EUR"
    assert ticker["bid"] < ticker["ask"] and ticker["last"] > 0
    tickers = await exchange.fetch_tickers()
    assert set(PAIRS) <= set(tickers)
    assert tickers["ETH/USD"]["last"] == pytest.approx(tickers["ETH/USDT"]["last"], rel=0.05)


async def test_private_endpoints_fail_fast_instead_of_leaking_to_binance(sandbox_url: str) -> None:
    config = ccxt_config(sandbox_exchange(sandbox_url))
    client = ccxt_async.binance({**config, "apiKey": "k", "secret": "s"})
    try:
        started = time.monotonic()
        # The request reached the sandbox (it names the path), not api.binance.com.
        with pytest.raises(ccxt_async.OperationFailed, match="Unknown path /sapi/v1/"):
            await client.fetch_balance()
        assert time.monotonic() - started < 5
    finally:
        await client.close()
