"""Binance's JSON shapes for the sandbox's data: numbers as 8-decimal strings, as Binance sends."""

from __future__ import annotations

from typing import Any

from sandbox.catalog import MIN_NOTIONAL, Instrument
from sandbox.market import Book, Candles, Ticker24h, trade_count

ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]
RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]


def num(value: float) -> str:
    """A decimal the way Binance writes it (`"65000.10000000"`)."""
    return f"{value:.8f}"


def symbol_info(inst: Instrument) -> dict[str, Any]:
    """One entry of `exchangeInfo.symbols`, with the filters ccxt's market parser reads."""
    return {
        "symbol": inst.symbol,
        "status": "TRADING",
        "baseAsset": inst.base,
        "baseAssetPrecision": 8,
        "quoteAsset": inst.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": num(inst.tick_size),
                "maxPrice": num(1_000_000.0),
                "tickSize": num(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": num(inst.step_size),
                "maxQty": num(9_000_000.0),
                "stepSize": num(inst.step_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": num(0.0),
                "maxQty": num(9_000_000.0),
                "stepSize": num(0.0),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": num(MIN_NOTIONAL),
                "applyMinToMarket": True,
                "maxNotional": num(9_000_000.0),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": ["SPOT"],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def exchange_info(instruments: list[Instrument], server_time: int) -> dict[str, Any]:
    """The `/api/v3/exchangeInfo` body for the given instruments."""
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": RATE_LIMITS,
        "exchangeFilters": [],
        "symbols": [symbol_info(inst) for inst in instruments],
    }


def kline_rows(candles: Candles, step_ms: int) -> list[list[Any]]:
    """`/api/v3/klines` rows: open time, OHLC, volume, close time, quote volume, trades..."""
    rows: list[list[Any]] = []
    for i, open_time in enumerate(candles.open_time):
        close, volume = float(candles.close[i]), float(candles.volume[i])
        quote_volume = volume * (float(candles.high[i]) + float(candles.low[i])) / 2
        rows.append(
            [
                open_time,
                num(candles.open[i]),
                num(candles.high[i]),
                num(candles.low[i]),
                num(close),
                num(volume),
                open_time + step_ms - 1,
                num(quote_volume),
                trade_count(quote_volume),
                num(volume / 2),
                num(quote_volume / 2),
                "0",
            ]
        )
    return rows


def ticker_24h(inst: Instrument, t: Ticker24h, book: Book) -> dict[str, Any]:
    """One `/api/v3/ticker/24hr` entry; bid and ask are the book's best levels."""
    change = t.last - t.open
    return {
        "symbol": inst.symbol,
        "priceChange": num(change),
        "priceChangePercent": f"{100 * change / t.open:.3f}",
        "weightedAvgPrice": num(t.quote_volume / t.volume if t.volume else t.last),
        "prevClosePrice": num(t.prev_close),
        "lastPrice": num(t.last),
        "lastQty": num(inst.step_size),
        "bidPrice": num(book.bids[0][0]),
        "bidQty": num(book.bids[0][1]),
        "askPrice": num(book.asks[0][0]),
        "askQty": num(book.asks[0][1]),
        "openPrice": num(t.open),
        "highPrice": num(t.high),
        "lowPrice": num(t.low),
        "volume": num(t.volume),
        "quoteVolume": num(t.quote_volume),
        "openTime": t.open_time,
        "closeTime": t.close_time,
        "firstId": t.open_time // 1_000,
        "lastId": t.open_time // 1_000 + t.trades - 1,
        "count": t.trades,
    }


def book_ticker(inst: Instrument, book: Book) -> dict[str, Any]:
    """One `/api/v3/ticker/bookTicker` entry."""
    return {
        "symbol": inst.symbol,
        "bidPrice": num(book.bids[0][0]),
        "bidQty": num(book.bids[0][1]),
        "askPrice": num(book.asks[0][0]),
        "askQty": num(book.asks[0][1]),
    }


def depth(book: Book) -> dict[str, Any]:
    """The `/api/v3/depth` body."""
    return {
        "lastUpdateId": book.update_id,
        "bids": [[num(p), num(q)] for p, q in book.bids],
        "asks": [[num(p), num(q)] for p, q in book.asks],
    }
