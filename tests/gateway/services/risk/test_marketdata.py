"""PriceHistory: BTC closes read with real ccxt from a real sandbox server on a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer

from gateway.services.risk.marketdata import PriceHistory
from sandbox.market import LISTED_AT_MS, Market
from sandbox.server import create_app
from sandbox.settings import SandboxSettings

# A moment 40 s into a minute, 600 days after the sandbox's listing date.
NOW_MS = LISTED_AT_MS + 600 * 86_400_000 + 19 * 3_600_000 + 17 * 60_000 + 40_000
NOW = datetime.fromtimestamp(NOW_MS / 1000, UTC)
SETTINGS = SandboxSettings(seed=7)


def expected_closes(interval: str, start_ms: int, limit: int) -> list[float]:
    """The sandbox market's own closes, read without HTTP or ccxt."""
    candles = Market(SETTINGS.seed, SETTINGS.volatility).klines(
        "BTCUSDT", interval, NOW_MS, start_ms=start_ms, limit=limit
    )
    return [float(c) for c in candles.close]


@pytest.fixture
async def market_url() -> AsyncIterator[str]:
    server = TestServer(create_app(SETTINGS, clock=lambda: NOW_MS))
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def test_an_hour_of_minute_closes_ends_with_the_forming_candle(market_url: str) -> None:
    prices = PriceHistory(market_url)
    try:
        closes = await prices.closes(NOW - timedelta(minutes=60), NOW)
    finally:
        await prices.close()
    start_ms = (NOW_MS - 3_600_000) // 60_000 * 60_000
    assert [price for _, price in closes] == expected_closes("1m", start_ms, 1000)
    assert len(closes) == 61  # the candle holding `since` ... the current one
    ends = [end for end, _ in closes]
    assert ends[0] == datetime.fromtimestamp((start_ms + 60_000) / 1000, UTC)
    assert ends[-1] == NOW  # still forming: its close is the price now
    assert ends == sorted(ends)


async def test_a_long_window_is_read_in_hours(market_url: str) -> None:
    prices = PriceHistory(market_url, timeout=5)
    try:
        closes = await prices.closes(NOW - timedelta(days=3), NOW)
        again = await prices.closes(NOW - timedelta(days=3), NOW)  # one client, reused
    finally:
        await prices.close()
        await prices.close()  # closing twice is harmless
    start_ms = (NOW_MS - 3 * 86_400_000) // 3_600_000 * 3_600_000
    assert [price for _, price in closes] == expected_closes("1h", start_ms, 1000)
    assert len(closes) == 73
    assert closes == again


async def test_an_unreachable_exchange_raises() -> None:
    prices = PriceHistory("http://127.0.0.1:9", timeout=2)
    try:
        with pytest.raises(Exception, match="127.0.0.1"):
            await prices.closes(NOW - timedelta(minutes=5), NOW)
    finally:
        await prices.close()
