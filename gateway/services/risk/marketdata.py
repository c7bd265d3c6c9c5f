"""Recent closing prices of one market pair, read from the exchange with ccxt.

The gateway reads the market only for emergency stops (BTC's drop over a window). It asks
the exchange the pools' bots trade on: the sandbox by default, through the same ccxt URL
overrides the bots use (`runtime.exchange.ccxt_config`). ccxt is imported on first use, so
a gateway with no `market_url` never loads it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from runtime.exchange import ExchangeSpec, ccxt_config

MINUTE = timedelta(minutes=1)
# A window of up to this many minutes is read in 1m candles (one request), longer ones in 1h.
MAX_MINUTE_CANDLES = 1000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class PriceHistory:
    """Closing prices of `pair` (a ccxt symbol) on the exchange served at `market_url`."""

    def __init__(self, market_url: str, pair: str = "BTC/USDT", *, timeout: float = 10.0) -> None:
        self.market_url = market_url
        self.pair = pair
        self.timeout = timeout
        self._exchange: Any = None

    async def closes(self, since: datetime, now: datetime) -> list[tuple[datetime, float]]:
        """(candle end, close) from the candle holding `since` to the current one.

        The current candle is still forming: its close is the latest price, its end `now`.
        """
        minutes = max(1, math.ceil((now - since) / MINUTE))
        timeframe, step = ("1m", 1) if minutes <= MAX_MINUTE_CANDLES else ("1h", 60)
        step_ms = step * 60_000
        start_ms = _ms(since) // step_ms * step_ms
        exchange = await self._client()
        rows = await exchange.fetch_ohlcv(
            self.pair, timeframe, since=start_ms, limit=minutes // step + 2
        )
        now_ms = _ms(now)
        return [
            (datetime.fromtimestamp(min(row[0] + step_ms, now_ms) / 1000, UTC), float(row[4]))
            for row in rows
            if row[0] <= now_ms and row[4] is not None
        ]

    async def close(self) -> None:
        """Close ccxt's HTTP session (if it was ever opened)."""
        if self._exchange is not None:
            await self._exchange.close()
            self._exchange = None

    async def _client(self) -> Any:
        if self._exchange is None:
            import ccxt.async_support as ccxt_async  # noqa: PLC0415 - heavy, needed only here

            config = ccxt_config(ExchangeSpec("binance", self.market_url.rstrip("/")))
            config["timeout"] = int(self.timeout * 1000)
            self._exchange = ccxt_async.binance(config)
        return self._exchange
