"""The exchange a pool's bots trade on: FreqTrade's `exchange` block and its market list.

Configuration, not code: `PoolSettings.exchange_name` (a ccxt id, default binance) and, with
`exchange_override_urls`, `exchange_url`, the one base URL every ccxt API URL of that exchange
is pointed at (the offline sandbox in the demo and the tests). Every key must be pointed: a
key left out keeps the real host, and with no internet that request hangs (FIELD_NOTES,
"Running unmodified FreqTrade with no exchange").

ccxt costs the process ~55 MiB, so only children forked from the warm forkserver use it: the
bot child writes its block (`exchange_block`), a short-lived child reads the market list
(`read_markets`); the supervisor imports this module without ccxt.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

from runtime.errors import InvalidInput
from runtime.settings import DEFAULT_EXCHANGE, PoolSettings

__all__ = ["DEFAULT_EXCHANGE", "ExchangeSpec", "MarketList", "exchange_block", "read_markets"]


@dataclass(frozen=True)
class ExchangeSpec:
    """Which exchange, and where: plain values, pickled to the forkserver."""

    name: str
    base_url: str  # every ccxt API URL points here; "" = the exchange's own hosts

    @classmethod
    def of(cls, settings: PoolSettings) -> ExchangeSpec:
        base_url = settings.exchange_url if settings.exchange_override_urls else ""
        return cls(settings.exchange_name, base_url.rstrip("/"))


@functools.cache
def api_urls(name: str) -> dict[str, Any]:
    """ccxt's own `urls["api"]` table of an exchange, built once per process.

    Building a ccxt exchange touches much of ccxt's class data; cached, a pool's warm
    forkserver builds the default exchange's once and its bots share it. Read-only.
    """
    import ccxt

    table: dict[str, Any] = getattr(ccxt, name)().urls["api"]
    return table


def _pointed(table: Any, root: str) -> Any:
    # Each URL keeps its path (/api/v3, /sapi/v1) so the endpoint sees what was meant and can
    # refuse what it does not serve; nested tables (some exchanges have them) are walked.
    if isinstance(table, dict):
        return {key: _pointed(value, root) for key, value in table.items()}
    return root + urlsplit(str(table)).path


def ccxt_config(exchange: ExchangeSpec) -> dict[str, Any]:
    """ccxt options for the exchange (public market data: no keys needed)."""
    config: dict[str, Any] = {"options": {"fetchMarkets": {"types": ["spot"]}}, "timeout": 10_000}
    if exchange.base_url:
        config["urls"] = {"api": _pointed(api_urls(exchange.name), exchange.base_url)}
        config["enableRateLimit"] = False  # one local endpoint, not the exchange's limits
    return config


def exchange_block(exchange: ExchangeSpec, pairs: list[str]) -> dict[str, Any]:
    """The `exchange` block of a FreqTrade config trading `pairs` (spot, dry run)."""
    options = ccxt_config(exchange)
    return {
        "name": exchange.name,
        "key": "",
        "secret": "",
        "pair_whitelist": list(pairs),
        "pair_blacklist": [],
        "ccxt_config": options,
        # A separate copy: FreqTrade and ccxt may update one without the other.
        "ccxt_async_config": copy.deepcopy(options),
        "enable_ws": False,
        # Bulk archives (data.binance.vision) are unreachable offline: use the REST API only.
        "only_from_ccxt": True,
        "markets_refresh_interval": 60,
    }


def read_markets(exchange: ExchangeSpec, reply: Connection) -> None:
    """Runs in a child forked warm: send the exchange's spot pairs, or the error as text."""
    import ccxt

    try:
        client = getattr(ccxt, exchange.name)(ccxt_config(exchange))
        markets: dict[str, dict[str, Any]] = client.load_markets()
        reply.send(sorted(pair for pair, market in markets.items() if market.get("spot")))
    except Exception as exc:  # the supervisor answers 503 with this text
        reply.send(f"{type(exc).__name__}: {exc}")
    finally:
        reply.close()


class MarketList:
    """The pairs the pool's exchange lists, read again once `ttl` seconds old.

    Adding a bot validates its pairs here, so a pair the exchange does not list is a 422
    UNKNOWN_PAIR at once instead of a bot that fails to start. The list is the exchange's
    own (ccxt's `load_markets` from the configured URL), not a copy kept in this repo.
    """

    def __init__(
        self,
        exchange: ExchangeSpec,
        read: Callable[[ExchangeSpec], list[str]],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.exchange = exchange
        self._read = read  # blocking (a launcher's `list_markets`): run in a thread
        self._ttl = ttl
        self._clock = clock
        self._lock = asyncio.Lock()
        self._listed: frozenset[str] | None = None
        self._read_at = 0.0

    async def check(self, pairs: list[str]) -> None:
        """422 UNKNOWN_PAIR unless the exchange lists every pair; 503 if it cannot be read."""
        listed = await self.listed()
        missing = [pair for pair in pairs if pair not in listed]
        if missing:
            raise InvalidInput(
                f"{', '.join(missing)} not listed by {self.exchange.name}"
                + (f" at {self.exchange.base_url}" if self.exchange.base_url else ""),
                "UNKNOWN_PAIR",
            )

    async def listed(self) -> frozenset[str]:
        """The cached list, read first if missing or older than the TTL."""
        async with self._lock:
            if self._listed is None or self._clock() - self._read_at >= self._ttl:
                self._listed = frozenset(await asyncio.to_thread(self._read, self.exchange))
                self._read_at = self._clock()
            return self._listed
