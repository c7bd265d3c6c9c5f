"""Compacting the shared tables keeps them equal and keeps what ccxt shared, shared."""

from __future__ import annotations

from runtime.markets.compact import compact


def test_compact_copies_are_equal_with_one_object_per_string_and_shared_parts_kept() -> None:
    filters = [{"filterType": "PRICE_FILTER", "tickSize": "0.01"}]
    raw = {"id": "BTCUSDT", "symbol": "BTC/USDT", "quote": "USDT", "info": {"filters": filters}}
    market = {**raw, "precision": {"price": 0.01}, "active": True, "info": {"filters": filters}}
    other = {"id": "ETHUSDT", "symbol": "ETH/USDT", "quote": "USDT".lower().upper()}
    tables = {
        "markets": {"BTC/USDT": market, "ETH/USDT": other},
        "markets_by_id": {"BTCUSDT": [raw], "ETHUSDT": [other]},
        "symbols": ["BTC/USDT", "ETH/USDT"],
    }
    out = compact(tables)

    assert out == tables
    btc, eth = out["markets"]["BTC/USDT"], out["markets"]["ETH/USDT"]
    assert btc is not market and btc["info"] is not market["info"]
    assert btc["quote"] is eth["quote"]  # one "USDT" however many markets name it
    assert out["symbols"][0] is btc["symbol"]
    # ccxt's raw market (by id) and the market share nested lists: so do the copies.
    assert out["markets_by_id"]["BTCUSDT"][0]["info"]["filters"] is btc["info"]["filters"]
    assert out["markets_by_id"]["ETHUSDT"][0] is eth  # one object in both tables stays one
