"""Deterministic, mean-reverting price paths that can be computed for any day on demand.

Time is cut into UTC days ("chunks"). Each chunk boundary gets a log-price drawn from the
stationary distribution (seeded by seed, base and day), and the path inside a day is a
Brownian bridge between its two boundaries, drawn in 5-second ticks, plus short swings that
revert within ten minutes. So any day is computed alone (lazily, vectorised), the same day
always gives the same path, consecutive days join exactly, and prices revert to their anchor
instead of drifting away over weeks.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

MINUTE_MS = 60_000
TICKS_PER_MINUTE = 12  # one tick every 5 seconds
TICK_MS = MINUTE_MS // TICKS_PER_MINUTE
CHUNK_MINUTES = 1_440
CHUNK_TICKS = CHUNK_MINUTES * TICKS_PER_MINUTE

FloatArray = npt.NDArray[np.float64]

# How a minute's volatility splits between the day-long trend and short swings, and how far
# (in minute volatilities) a swing strays before it reverts within SWING_MINUTES.
TREND_SHARE = 0.8
SWING_NOISE = 0.5
SWING_SIZE = 1.5
SWING_MINUTES = 10

# Streams of random numbers drawn from one (seed, base) key.
_STREAM_BOUNDARY = 0
_STREAM_PATH = 1
_STREAM_VOLUME = 2
_STREAM_BOOK = 3


class MinuteBars(NamedTuple):
    """Per-minute open/high/low/close (log-price offsets) and base volume of a chunk."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray


Ohlcv = tuple[float, float, float, float, float]


def _summary(bars: MinuteBars) -> Ohlcv:
    """Open, high, low, close and volume of consecutive minute bars taken together."""
    return (
        float(bars.open[0]),
        float(bars.high.max()),
        float(bars.low.min()),
        float(bars.close[-1]),
        float(bars.volume.sum()),
    )


def rng_for(seed: int, base: str, stream: int, index: int) -> np.random.Generator:
    """A generator fixed by (seed, base, stream, index): same numbers on every run."""
    key = zlib.crc32(base.encode())
    return np.random.default_rng(np.random.SeedSequence([seed, key, stream, index]))


class PriceWalk:
    """Log-price offsets from each base's anchor, for one seed and volatility."""

    def __init__(self, seed: int, volatility: float, spread: float = 0.08) -> None:
        """`volatility`: std of a 1-minute log return; `spread`: std of the day-end level."""
        self.seed = seed
        self.volatility = volatility
        self.spread = spread
        # Whole tick paths are big (17k floats) and only the current day needs them often;
        # minute bars are small and requested far back (1000 x 1h = 42 days per pair).
        self._ticks = lru_cache(maxsize=64)(self._compute_ticks)
        self._bars = lru_cache(maxsize=768)(self._compute_bars)
        # Daily candles reach years back: keep only five numbers a day, not the day's path.
        self._day = lru_cache(maxsize=16_384)(self._compute_day)

    def _boundary(self, base: str, chunk: int) -> float:
        return float(rng_for(self.seed, base, _STREAM_BOUNDARY, chunk).normal(0.0, self.spread))

    def _compute_ticks(self, base: str, chunk: int) -> FloatArray:
        start, end = self._boundary(base, chunk), self._boundary(base, chunk + 1)
        rng = rng_for(self.seed, base, _STREAM_PATH, chunk)
        tick_std = TREND_SHARE * self.volatility / np.sqrt(TICKS_PER_MINUTE)
        walk = np.concatenate(([0.0], np.cumsum(rng.normal(0.0, tick_std, CHUNK_TICKS))))
        frac = np.linspace(0.0, 1.0, CHUNK_TICKS + 1)
        # Brownian bridge: pin both ends so days join and the level stays stationary.
        trend = start + frac * (end - start) + walk - frac * walk[-1]
        trend[0], trend[-1] = start, end  # exactly, so rounding cannot split a day's seam
        path: FloatArray = trend + self._swings(rng)
        return path

    def _swings(self, rng: np.random.Generator) -> FloatArray:
        """Short swings that revert within `SWING_MINUTES`, zero at both ends of the day.

        Minute charts of real pairs wobble around their trend; these swings give RSI and
        Bollinger-style strategies something to trade. Each segment is a Brownian bridge
        between random levels, so the whole day is drawn in one vectorised step.
        """
        segments = CHUNK_MINUTES // SWING_MINUTES
        length = SWING_MINUTES * TICKS_PER_MINUTE
        size = SWING_SIZE * self.volatility
        levels = np.concatenate(([0.0], rng.normal(0.0, size, segments - 1), [0.0]))
        frac = np.arange(length) / length
        line = levels[:-1, None] + frac[None, :] * np.diff(levels)[:, None]
        tick_std = SWING_NOISE * self.volatility / np.sqrt(TICKS_PER_MINUTE)
        walk = np.cumsum(rng.normal(0.0, tick_std, (segments, length)), axis=1)
        walk = np.concatenate((np.zeros((segments, 1)), walk), axis=1)
        bridge = walk[:, :length] - frac[None, :] * walk[:, length:]
        swings: FloatArray = np.append((line + bridge).ravel(), 0.0)
        return swings

    def ticks(self, base: str, chunk: int) -> FloatArray:
        """All 5-second log-price offsets of a day, both boundaries included (17,281 values)."""
        result: FloatArray = self._ticks(base, chunk)
        return result

    def _compute_bars(self, base: str, chunk: int) -> MinuteBars:
        ticks = self.ticks(base, chunk)
        inside = ticks[:-1].reshape(CHUNK_MINUTES, TICKS_PER_MINUTE)
        close = ticks[TICKS_PER_MINUTE::TICKS_PER_MINUTE]
        opens = inside[:, 0]
        high = np.maximum(inside.max(axis=1), close)
        low = np.minimum(inside.min(axis=1), close)
        rng = rng_for(self.seed, base, _STREAM_VOLUME, chunk)
        # Busier minutes when the price moves, as on a real exchange.
        activity = rng.lognormal(0.0, 0.5, CHUNK_MINUTES)
        volume = activity * (1.0 + 100.0 * (high - low))
        return MinuteBars(opens, high, low, close, volume)

    def bars(self, base: str, chunk: int) -> MinuteBars:
        """Complete minute bars of one day (log-price offsets; volume in units of notional)."""
        result: MinuteBars = self._bars(base, chunk)
        return result

    def _compute_day(self, base: str, chunk: int) -> Ohlcv:
        return _summary(self._compute_bars(base, chunk))  # bypasses the bar cache on purpose

    def days(self, base: str, first: int, last: int, now_ms: int) -> MinuteBars:
        """One bar per UTC day for day numbers `first`..`last`; the current day so far."""
        today = now_ms // MINUTE_MS // CHUNK_MINUTES
        rows = [self._day(base, chunk) for chunk in range(first, min(last, today - 1) + 1)]
        if last >= today:
            rows.append(
                _summary(self.minutes(base, today * CHUNK_MINUTES, now_ms // MINUTE_MS, now_ms))
            )
        return MinuteBars(
            *(np.array(column, dtype=np.float64) for column in zip(*rows, strict=True))
        )

    def minutes(self, base: str, first: int, last: int, now_ms: int) -> MinuteBars:
        """Minute bars for minute numbers `first`..`last` (since the epoch), inclusive.

        `last` may be the current minute, which then holds only the ticks seen by `now_ms`.
        """
        parts: list[MinuteBars] = []
        for chunk in range(first // CHUNK_MINUTES, last // CHUNK_MINUTES + 1):
            lo = max(first - chunk * CHUNK_MINUTES, 0)
            hi = min(last - chunk * CHUNK_MINUTES, CHUNK_MINUTES - 1) + 1
            bars = self.bars(base, chunk)
            parts.append(MinuteBars(*(column[lo:hi] for column in bars)))
        joined = MinuteBars(*(np.concatenate(columns) for columns in zip(*parts, strict=True)))
        current = now_ms // MINUTE_MS
        if last == current:
            partial = self.forming_minute(base, now_ms)
            for column, value in zip(joined, partial, strict=True):
                column[-1] = value
        return joined

    def forming_minute(self, base: str, now_ms: int) -> Ohlcv:
        """Open, high, low, close and volume of the still-open minute as of `now_ms`."""
        minute = now_ms // MINUTE_MS
        chunk, offset = divmod(minute, CHUNK_MINUTES)
        seen = (now_ms % MINUTE_MS) // TICK_MS  # whole 5-second ticks since the minute opened
        start = offset * TICKS_PER_MINUTE
        window = self.ticks(base, chunk)[start : start + seen + 1]
        full = self.bars(base, chunk).volume[offset]
        volume = full * (seen + 1) / (TICKS_PER_MINUTE + 1)
        return (
            float(window[0]),
            float(window.max()),
            float(window.min()),
            float(window[-1]),
            float(volume),
        )

    def level(self, base: str, now_ms: int) -> float:
        """The log-price offset right now (the last 5-second tick)."""
        return self.forming_minute(base, now_ms)[3]

    def book_rng(self, base: str, now_ms: int) -> np.random.Generator:
        """Random sizes for the order book, fixed for each 5-second tick."""
        return rng_for(self.seed, base, _STREAM_BOOK, now_ms // TICK_MS)
