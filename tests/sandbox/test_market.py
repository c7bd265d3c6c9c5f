"""Unit tests of the sandbox market: determinism, wall-clock alignment, paging, aggregation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.catalog import ANCHOR_PRICES, UnknownPairError, market_pair, sandbox_pairs
from sandbox.market import INTERVALS, LISTED_AT_MS, Market
from sandbox.walk import MINUTE_MS, TICK_MS, PriceWalk

# A fixed "now" in the middle of a minute, 400 days after the listing date.
NOW = LISTED_AT_MS + 400 * 86_400_000 + 13 * 3_600_000 + 37 * MINUTE_MS + 23_456


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(seed=7, volatility=0.004)


def test_same_seed_gives_same_candles_in_a_new_instance(market: Market) -> None:
    again = Market(seed=7, volatility=0.004).klines("ETHUSDT", "5m", NOW, limit=300)
    first = market.klines("ETHUSDT", "5m", NOW, limit=300)
    assert again.open_time == first.open_time
    for column in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(again, column), getattr(first, column))


def test_another_seed_gives_another_market(market: Market) -> None:
    other = Market(seed=8, volatility=0.004).klines("ETHUSDT", "1m", NOW, limit=50)
    assert not np.array_equal(other.close, market.klines("ETHUSDT", "1m", NOW, limit=50).close)


@pytest.mark.parametrize("interval", list(INTERVALS))
def test_newest_candle_is_the_current_period(market: Market, interval: str) -> None:
    step = INTERVALS[interval] * MINUTE_MS
    candles = market.klines("BTCUSDT", interval, NOW, limit=10)
    assert candles.open_time[-1] == NOW // step * step
    assert np.diff(candles.open_time).tolist() == [step] * 9
    assert candles.close[-1] == market.last_price("BTCUSDT", NOW)


def test_closed_candles_do_not_change_as_time_passes(market: Market) -> None:
    before = market.klines("SOLUSDT", "1m", NOW, limit=120)
    later = market.klines("SOLUSDT", "1m", NOW + 30 * MINUTE_MS, limit=150)
    # Everything but the candle that was still forming at NOW is final.
    closed = slice(0, 119)
    offset = later.open_time.index(before.open_time[0])
    assert later.open_time[offset : offset + 119] == before.open_time[closed]
    np.testing.assert_array_equal(later.close[offset : offset + 119], before.close[closed])
    np.testing.assert_array_equal(later.high[offset : offset + 119], before.high[closed])


def test_forming_candle_only_grows_within_its_minute(market: Market) -> None:
    start = NOW // MINUTE_MS * MINUTE_MS
    seen = [market.klines("XRPUSDT", "1m", start + k * TICK_MS, limit=1) for k in range(12)]
    assert {c.open_time[0] for c in seen} == {start}
    assert len({float(c.open[0]) for c in seen}) == 1
    highs = [float(c.high[0]) for c in seen]
    lows = [float(c.low[0]) for c in seen]
    assert highs == sorted(highs) and lows == sorted(lows, reverse=True)
    assert len({float(c.close[0]) for c in seen}) > 3  # the price moves every 5 seconds
    finished = market.klines("XRPUSDT", "1m", start + MINUTE_MS, limit=2)
    assert finished.close[0] == market.last_price("XRPUSDT", start + MINUTE_MS)


def test_ohlc_are_consistent_and_opens_follow_closes(market: Market) -> None:
    c = market.klines("DOGEUSDT", "1m", NOW, limit=1000)
    assert np.all(c.high >= np.maximum(c.open, c.close))
    assert np.all(c.low <= np.minimum(c.open, c.close))
    assert np.all(c.volume > 0)
    np.testing.assert_array_equal(c.open[1:], c.close[:-1])


def test_paging_with_start_time_reproduces_one_long_request(market: Market) -> None:
    whole = market.klines("BNBUSDT", "15m", NOW, limit=1000)
    step = 15 * MINUTE_MS
    since, pages = whole.open_time[0], []
    while since <= NOW:
        page = market.klines("BNBUSDT", "15m", NOW, start_ms=since, limit=300)
        if not page.open_time:
            break
        pages.append(page)
        since = page.open_time[-1] + step
    assert [len(p.open_time) for p in pages] == [300, 300, 300, 100]
    assert sum((p.open_time for p in pages), []) == whole.open_time
    np.testing.assert_array_equal(np.concatenate([p.close for p in pages]), whole.close)


def test_start_time_rounds_up_and_end_time_is_inclusive(market: Market) -> None:
    step = 60 * MINUTE_MS
    hour = NOW // step * step - 50 * step
    c = market.klines("ADAUSDT", "1h", NOW, start_ms=hour + 1, end_ms=hour + 5 * step)
    assert c.open_time == [hour + k * step for k in range(1, 6)]
    only_end = market.klines("ADAUSDT", "1h", NOW, end_ms=hour, limit=3)
    assert only_end.open_time == [hour - 2 * step, hour - step, hour]


def test_no_candles_from_the_future_or_before_listing(market: Market) -> None:
    assert market.klines("LINKUSDT", "1m", NOW, start_ms=NOW + 2 * MINUTE_MS).open_time == []
    early = market.klines("LINKUSDT", "1d", NOW, start_ms=0, limit=5)
    assert early.open_time[0] == LISTED_AT_MS


def test_enough_history_for_1000_hourly_candles(market: Market) -> None:
    c = market.klines("AVAXUSDT", "1h", NOW, limit=1000)
    assert len(c.open_time) == 1000
    assert NOW - c.open_time[0] >= 41 * 86_400_000


@pytest.mark.parametrize("interval", ["5m", "1h", "4h"])
def test_higher_timeframes_aggregate_the_1m_candles(market: Market, interval: str) -> None:
    per = INTERVALS[interval]
    big = market.klines("DOTUSDT", interval, NOW, limit=3)
    start = big.open_time[0]
    small = market.klines("DOTUSDT", "1m", NOW, start_ms=start, limit=1000)
    for i, open_time in enumerate(big.open_time):
        lo = small.open_time.index(open_time)
        part = slice(lo, lo + per)
        assert big.open[i] == small.open[lo]
        assert big.close[i] == small.close[part][-1]
        assert big.high[i] == small.high[part].max()
        assert big.low[i] == small.low[part].min()
        assert big.volume[i] == pytest.approx(small.volume[part].sum(), rel=1e-3)


def test_prices_move_enough_to_trade_and_stay_sane_for_months(market: Market) -> None:
    minutes = market.klines("BTCUSDT", "1m", NOW, limit=1000).close
    moves = np.abs(np.diff(np.log(minutes)))
    assert 0.002 < moves.mean() < 0.006
    days = market.klines("BTCUSDT", "1d", NOW, limit=400)
    anchor = ANCHOR_PRICES["BTC"]
    assert anchor * 0.5 < days.low.min() and days.high.max() < anchor * 2


def test_quotes_share_the_walk_usd_equal_eur_converted(market: Market) -> None:
    usdt = market.last_price("BTCUSDT", NOW)
    assert market.last_price("BTCUSD", NOW) == usdt
    assert market.last_price("BTCEUR", NOW) == pytest.approx(usdt * 0.92, rel=1e-5)


def test_ticker_24h_matches_the_last_day_of_candles(market: Market) -> None:
    t = market.ticker_24h("ETHEUR", NOW)
    day = market.klines("ETHEUR", "1m", NOW, limit=1000)
    rest = market.klines("ETHEUR", "1m", NOW, end_ms=day.open_time[0] - 1, limit=440)
    highs = np.concatenate([rest.high, day.high])
    assert t.last == day.close[-1]
    assert t.high == highs.max()
    assert t.open == rest.open[0]
    assert t.open_time == rest.open_time[0]
    assert t.volume > 0 and t.quote_volume > t.volume


def test_book_brackets_the_last_price_and_is_sorted(market: Market) -> None:
    book = market.book("SOLUSDT", NOW, 20)
    last = market.last_price("SOLUSDT", NOW)
    bids, asks = [p for p, _ in book.bids], [p for p, _ in book.asks]
    assert len(bids) == len(asks) == 20
    assert bids[0] <= last <= asks[0] and bids[0] < asks[0]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert all(q > 0 for _, q in book.bids + book.asks)
    assert market.book("SOLUSDT", NOW, 20) == book


def test_catalog_lists_ten_bases_in_each_quote() -> None:
    for quote in ("USDT", "USD", "EUR"):
        pairs = sandbox_pairs(quote)
        assert len(pairs) >= 10 and all(p.endswith(f"/{quote}") for p in pairs)
    assert market_pair(" btc/usd ") == "BTC/USD"
    with pytest.raises(UnknownPairError, match="not listed"):
        market_pair("PEPE/USDT")
    with pytest.raises(UnknownPairError, match="spot only"):
        market_pair("BTC/USDT:USDT")


def test_daily_candles_aggregate_the_hours_including_today(market: Market) -> None:
    days = market.klines("LTCUSD", "1d", NOW, limit=3)
    hours = market.klines("LTCUSD", "1h", NOW, start_ms=days.open_time[0], limit=1000)
    for i, open_time in enumerate(days.open_time):
        inside = [
            k for k, t in enumerate(hours.open_time) if open_time <= t < open_time + 86_400_000
        ]
        assert len(inside) == (24 if i < 2 else 14)  # NOW is 13:37 UTC
        part = slice(inside[0], inside[-1] + 1)
        assert days.open[i] == hours.open[part][0]
        assert days.close[i] == hours.close[part][-1]
        assert days.high[i] == hours.high[part].max()
        assert days.low[i] == hours.low[part].min()
        assert days.volume[i] == pytest.approx(hours.volume[part].sum(), rel=1e-3)


@settings(max_examples=150, deadline=None, database=None)
@given(
    interval=st.sampled_from(["1m", "5m", "15m", "1h", "4h"]),
    start_back=st.one_of(st.none(), st.integers(0, 40 * 86_400_000)),
    span=st.one_of(st.none(), st.integers(0, 10 * 86_400_000)),
    limit=st.integers(1, 1000),
)
def test_klines_window_rules_hold_for_any_request(
    interval: str, start_back: int | None, span: int | None, limit: int
) -> None:
    market = Market(seed=7, volatility=0.004)
    step = INTERVALS[interval] * MINUTE_MS
    start = None if start_back is None else NOW - start_back
    end = None if span is None else (start if start is not None else NOW) + span
    c = market.klines("ETHUSD", interval, NOW, start_ms=start, end_ms=end, limit=limit)
    times = c.open_time
    assert len(times) <= limit
    assert all(t % step == 0 and t <= NOW for t in times)
    assert np.diff(times).tolist() == [step] * (len(times) - 1)
    if start is not None and times:
        assert times[0] >= start and times[0] - step < start
    if end is not None and times:
        assert times[-1] <= end
    if start is None and times:
        assert times[-1] == min(NOW, end if end is not None else NOW) // step * step


def test_minute_volatility_matches_the_setting_and_swings_revert() -> None:
    walk = PriceWalk(seed=5, volatility=0.004)
    offsets = np.concatenate([walk.bars("ETH", day).close for day in range(20_000, 20_010)])
    minute = np.diff(offsets)
    hour = offsets[60:] - offsets[:-60]
    assert minute.std() == pytest.approx(0.004, rel=0.1)
    # A pure random walk has a variance ratio of 1; the short swings pull it below.
    assert hour.var() / (60 * minute.var()) < 0.9
    # Days join exactly: a day opens where the previous one closed.
    assert walk.bars("ETH", 20_001).open[0] == walk.bars("ETH", 20_000).close[-1]
