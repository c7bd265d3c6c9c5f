"""The sandbox market: Binance-shaped candles, tickers and order books for every instrument.

Pure and HTTP-free: every call takes `now_ms` so results depend only on the seed and the
clock reading, which is what makes the market deterministic and testable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sandbox.catalog import INSTRUMENTS, Instrument, instrument
from sandbox.walk import CHUNK_MINUTES, MINUTE_MS, FloatArray, PriceWalk

# Binance interval name -> minutes. All divide a UTC day, so epoch alignment is Binance's.
INTERVALS: dict[str, int] = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "2h": 120,
    "4h": 240,
    "1d": 1_440,
}
DAY_MS = CHUNK_MINUTES * MINUTE_MS
# First candle ever: history starts here, like a listing date (2024-01-01T00:00Z).
LISTED_AT_MS = 1_704_067_200_000
# Average notional traded per minute on a USDT market, in quote currency.
MINUTE_NOTIONAL = 25_000.0
AVERAGE_TRADE = 400.0  # quote currency
BOOK_SPREAD = 0.0002  # relative distance between best bid and best ask
BOOK_STEP = 0.0001  # relative distance between two book levels
MAX_BOOK_LEVELS = 5_000


def trade_count(quote_volume: float) -> int:
    """How many trades made up a volume: an average trade is worth `AVERAGE_TRADE`."""
    return int(quote_volume / AVERAGE_TRADE) + 1


class Candles(NamedTuple):
    """Columns of consecutive candles in quote-currency prices and base volume."""

    open_time: list[int]
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray


@dataclass(frozen=True)
class Ticker24h:
    """Rolling 24-hour statistics of one instrument, as Binance's `/ticker/24hr` has them."""

    open: float
    high: float
    low: float
    last: float
    prev_close: float
    volume: float
    quote_volume: float
    open_time: int
    close_time: int
    trades: int


@dataclass(frozen=True)
class Book:
    """Price levels `[price, quantity]` around the current price, best first."""

    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]
    update_id: int


class Market:
    """Prices of every instrument, derived from one seeded `PriceWalk`."""

    def __init__(
        self, seed: int, volatility: float, listed: Mapping[str, Instrument] = INSTRUMENTS
    ) -> None:
        self.walk = PriceWalk(seed, volatility)
        self.listed = listed

    def _prices(self, inst: Instrument, offsets: FloatArray) -> FloatArray:
        scale = inst.anchor * inst.fx
        prices: FloatArray = np.round(scale * np.exp(offsets), inst.price_decimals)
        return prices

    def _volume(self, inst: Instrument, raw: FloatArray) -> FloatArray:
        units = MINUTE_NOTIONAL * inst.volume_share / (inst.anchor * inst.fx)
        volume: FloatArray = np.round(raw * units, inst.amount_decimals)
        return volume

    def klines(
        self,
        symbol: str,
        interval: str,
        now_ms: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 500,
    ) -> Candles:
        """Candles like Binance's `/api/v3/klines`: open times in [start, end], at most `limit`.

        With `start_ms` the earliest candles from there on; otherwise the latest up to
        `end_ms` (default now). The newest candle may be the current, still-forming one.
        """
        inst = instrument(symbol, self.listed)
        step = INTERVALS[interval] * MINUTE_MS
        newest = min(now_ms, end_ms if end_ms is not None else now_ms) // step * step
        oldest = -(-LISTED_AT_MS // step) * step
        if start_ms is not None:
            first = max(oldest, -(-start_ms // step) * step)
            last = min(newest, first + (limit - 1) * step)
        else:
            last = newest
            first = max(oldest, last - (limit - 1) * step)
        if last < first:
            empty = np.empty(0)
            return Candles([], empty, empty, empty, empty, empty)
        if step == DAY_MS:
            bars = self.walk.days(inst.walk, first // DAY_MS, last // DAY_MS, now_ms)
            starts = ends = np.arange(len(bars.open))
        else:
            first_minute = first // MINUTE_MS
            last_minute = min((last + step) // MINUTE_MS - 1, now_ms // MINUTE_MS)
            bars = self.walk.minutes(inst.walk, first_minute, last_minute, now_ms)
            starts = np.arange(0, last_minute - first_minute + 1, step // MINUTE_MS)
            ends = np.append(starts[1:], last_minute - first_minute + 1) - 1
        return Candles(
            open_time=list(range(first, last + 1, step)),
            open=self._prices(inst, bars.open[starts]),
            high=self._prices(inst, np.maximum.reduceat(bars.high, starts)),
            low=self._prices(inst, np.minimum.reduceat(bars.low, starts)),
            close=self._prices(inst, bars.close[ends]),
            volume=self._volume(inst, np.add.reduceat(bars.volume, starts)),
        )

    def last_price(self, symbol: str, now_ms: int) -> float:
        """The price of the last trade (the current 5-second tick)."""
        inst = instrument(symbol, self.listed)
        offset = np.array([self.walk.level(inst.walk, now_ms)])
        return float(self._prices(inst, offset)[0])

    def ticker_24h(self, symbol: str, now_ms: int) -> Ticker24h:
        """Rolling 24 hours ending now, consistent with the 1-minute candles."""
        inst = instrument(symbol, self.listed)
        minute = now_ms // MINUTE_MS
        bars = self.walk.minutes(inst.walk, minute - 1_440, minute, now_ms)
        closes = self._prices(inst, bars.close)
        volumes = self._volume(inst, bars.volume[1:])
        volume = float(volumes.sum())
        quote_volume = float((volumes * closes[1:]).sum())
        return Ticker24h(
            open=float(self._prices(inst, bars.open[1:2])[0]),
            high=float(self._prices(inst, bars.high[1:]).max()),
            low=float(self._prices(inst, bars.low[1:]).min()),
            last=float(closes[-1]),
            prev_close=float(closes[0]),
            volume=round(volume, inst.amount_decimals),
            quote_volume=round(quote_volume, 8),
            open_time=(minute - 1_439) * MINUTE_MS,
            close_time=now_ms,
            trades=trade_count(quote_volume),
        )

    def book(self, symbol: str, now_ms: int, limit: int) -> Book:
        """An order book of `limit` levels a side around the current price."""
        inst = instrument(symbol, self.listed)
        mid = inst.anchor * inst.fx * math.exp(self.walk.level(inst.walk, now_ms))
        tick = inst.tick_size
        gap = max(1, round(mid * BOOK_STEP / tick))  # ticks between levels
        best_bid = math.floor(mid * (1 - BOOK_SPREAD / 2) / tick)
        best_ask = max(math.ceil(mid * (1 + BOOK_SPREAD / 2) / tick), best_bid + 1)
        levels = min(limit, MAX_BOOK_LEVELS)
        rng = self.walk.book_rng(inst.walk, now_ms)
        unit = 2_000.0 * inst.volume_share / mid  # ~2k quote currency a level, growing deeper
        sizes = rng.exponential(1.0, (2, levels)) * unit * (1 + np.arange(levels) / 10)
        sizes = np.maximum(np.round(sizes, inst.amount_decimals), inst.step_size)
        digits = inst.price_decimals
        bids = [
            (round((best_bid - i * gap) * tick, digits), float(sizes[0, i]))
            for i in range(levels)
            if best_bid - i * gap > 0
        ]
        asks = [
            (round((best_ask + i * gap) * tick, digits), float(sizes[1, i])) for i in range(levels)
        ]
        return Book(bids, asks, update_id=now_ms // 1_000)
