"""The pairs a paper bot can trade: the spot markets the exchange lists, per quote currency.

Read from the market the gateway already knows (`CRYPTOPILOT_MARKET_URL`: the sandbox by
default, which speaks Binance's public REST API) with one `GET /api/v3/exchangeInfo`, kept
for `ttl` seconds so many users' provisioning forms cost one request. The pool remains the
judge of a pair at provisioning (422 UNKNOWN_PAIR); this list is what the form offers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from gateway.errors import BadInput, Unavailable
from gateway.services.trading.market import STAKE_CURRENCIES

CACHE_SECONDS = 300.0


class MarketCatalogue:
    """Spot pairs with status TRADING on the exchange at `market_url`, cached."""

    def __init__(self, market_url: str, *, ttl: float = CACHE_SECONDS, timeout: float = 10.0):
        self.market_url = market_url.rstrip("/")
        self.ttl = ttl
        self.timeout = timeout
        self._symbols: list[tuple[str, str]] = []
        self._fetched_at = -float("inf")
        self._lock = asyncio.Lock()

    async def pairs(self, quote: str) -> list[str]:
        """`BASE/QUOTE` pairs in `quote`, sorted (400 INVALID_QUOTE, 503 when unreachable)."""
        if quote not in STAKE_CURRENCIES:
            choices = ", ".join(STAKE_CURRENCIES)
            raise BadInput(
                f"quote must be one of {choices}", "INVALID_QUOTE", extra={"field": "quote"}
            )
        symbols = await self._current()
        return sorted(f"{base}/{q}" for base, q in symbols if q == quote)

    async def _current(self) -> list[tuple[str, str]]:
        async with self._lock:  # one fetch however many forms open at once
            if time.monotonic() - self._fetched_at > self.ttl:
                self._symbols = await self._fetch()
                self._fetched_at = time.monotonic()
            return self._symbols

    async def _fetch(self) -> list[tuple[str, str]]:
        if not self.market_url:
            raise Unavailable(
                "No market is configured (CRYPTOPILOT_MARKET_URL)", "MARKET_UNAVAILABLE"
            )
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.get(f"{self.market_url}/api/v3/exchangeInfo") as response,
            ):
                response.raise_for_status()
                body: dict[str, Any] = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Unavailable(
                f"The market cannot be read: {exc.__class__.__name__}", "MARKET_UNAVAILABLE"
            ) from exc
        return [
            (str(item["baseAsset"]), str(item["quoteAsset"]))
            for item in body.get("symbols", [])
            if item.get("status") == "TRADING" and item.get("isSpotTradingAllowed", True)
        ]
