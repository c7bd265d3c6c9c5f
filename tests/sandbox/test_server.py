"""HTTP tests of every sandbox endpoint and of its Binance-style error bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from sandbox.catalog import INSTRUMENTS
from sandbox.market import LISTED_AT_MS
from sandbox.server import create_app
from sandbox.settings import SandboxSettings

NOW = LISTED_AT_MS + 500 * 86_400_000 + 7 * 3_600_000 + 12 * 60_000 + 31_000

Client = TestClient[Any, Any]


@pytest.fixture
async def client(aiohttp_client: Any) -> Client:
    app = create_app(SandboxSettings(seed=3), clock=lambda: NOW)
    result: Client = await aiohttp_client(app)
    return result


async def get_json(client: Client, path: str, status: int = 200) -> Any:
    response = await client.get(path)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


async def test_ping_and_time(client: Client) -> None:
    assert await get_json(client, "/api/v3/ping") == {}
    assert await get_json(client, "/api/v3/time") == {"serverTime": NOW}


async def test_exchange_info_lists_every_spot_symbol_with_filters(client: Client) -> None:
    body = await get_json(client, "/api/v3/exchangeInfo")
    symbols = {s["symbol"]: s for s in body["symbols"]}
    assert set(symbols) == set(INSTRUMENTS)
    assert {"BTCUSDT", "BTCUSD", "BTCEUR", "LINKEUR"} <= set(symbols)
    btc = symbols["BTCUSDT"]
    assert (btc["status"], btc["baseAsset"], btc["quoteAsset"]) == ("TRADING", "BTC", "USDT")
    assert btc["permissions"] == ["SPOT"] and btc["isSpotTradingAllowed"] is True
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert float(filters["PRICE_FILTER"]["tickSize"]) == 0.01
    assert float(filters["LOT_SIZE"]["stepSize"]) == 0.00001
    assert float(filters["NOTIONAL"]["minNotional"]) == 5.0
    one = await get_json(client, "/api/v3/exchangeInfo?symbol=ETHEUR")
    assert [s["symbol"] for s in one["symbols"]] == ["ETHEUR"]
    some = await get_json(client, '/api/v3/exchangeInfo?symbols=["ETHUSD","SOLUSD"]')
    assert [s["symbol"] for s in some["symbols"]] == ["ETHUSD", "SOLUSD"]


async def test_klines_rows_have_binance_shape(client: Client) -> None:
    rows = await get_json(client, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=3")
    assert len(rows) == 3
    last = rows[-1]
    assert len(last) == 12
    assert last[0] == NOW // 60_000 * 60_000 and last[6] == last[0] + 59_999
    open_, high, low, close = (float(v) for v in last[1:5])
    assert low <= min(open_, close) <= max(open_, close) <= high
    assert isinstance(last[1], str) and last[1].count(".") == 1


async def test_klines_default_limit_and_cap(client: Client) -> None:
    default = await get_json(client, "/api/v3/klines?symbol=ETHUSDT&interval=1h")
    assert len(default) == 500
    capped = await get_json(client, "/api/v3/klines?symbol=ETHUSDT&interval=1m&limit=5000")
    assert len(capped) == 1000


async def test_klines_paging_with_start_and_end_time(client: Client) -> None:
    step = 15 * 60_000
    start = NOW // step * step - 10 * step
    path = "/api/v3/klines?symbol=SOLEUR&interval=15m"
    page = await get_json(client, f"{path}&startTime={start}&limit=4")
    assert [r[0] for r in page] == [start + k * step for k in range(4)]
    bounded = await get_json(client, f"{path}&startTime={start}&endTime={start + 2 * step}")
    assert [r[0] for r in bounded] == [start, start + step, start + 2 * step]
    to_end = await get_json(client, f"{path}&endTime={start}&limit=2")
    assert [r[0] for r in to_end] == [start - step, start]
    after_now = await get_json(client, f"{path}&startTime={NOW + 3_600_000}")
    assert after_now == []


async def test_depth_levels_and_limits(client: Client) -> None:
    for limit in (5, 10, 20, 50, 100, 500, 1000):
        body = await get_json(client, f"/api/v3/depth?symbol=BTCUSDT&limit={limit}")
        assert len(body["bids"]) == len(body["asks"]) == limit
    default = await get_json(client, "/api/v3/depth?symbol=DOGEEUR")
    assert len(default["bids"]) == 100
    best_bid, best_ask = float(default["bids"][0][0]), float(default["asks"][0][0])
    assert best_bid < best_ask
    assert isinstance(default["lastUpdateId"], int)


async def test_tickers_agree_with_candles_and_book(client: Client) -> None:
    one = await get_json(client, "/api/v3/ticker/24hr?symbol=XRPUSD")
    rows = await get_json(client, "/api/v3/klines?symbol=XRPUSD&interval=1m&limit=1")
    book = await get_json(client, "/api/v3/depth?symbol=XRPUSD&limit=5")
    assert one["symbol"] == "XRPUSD" and one["lastPrice"] == rows[-1][4]
    assert one["bidPrice"] == book["bids"][0][0] and one["askPrice"] == book["asks"][0][0]
    assert float(one["lowPrice"]) <= float(one["lastPrice"]) <= float(one["highPrice"])
    every = await get_json(client, "/api/v3/ticker/24hr")
    assert len(every) == len(INSTRUMENTS)
    prices = await get_json(client, "/api/v3/ticker/price")
    by_symbol = {p["symbol"]: p["price"] for p in prices}
    assert by_symbol["XRPUSD"] == one["lastPrice"]
    price = await get_json(client, "/api/v3/ticker/price?symbol=XRPUSD")
    assert price == {"symbol": "XRPUSD", "price": one["lastPrice"]}
    books = await get_json(client, '/api/v3/ticker/bookTicker?symbols=["XRPUSD","ADAEUR"]')
    assert [b["symbol"] for b in books] == ["XRPUSD", "ADAEUR"]
    assert books[0]["bidPrice"] == one["bidPrice"]
    avg = await get_json(client, "/api/v3/avgPrice?symbol=XRPUSD")
    assert avg["mins"] == 5 and float(avg["price"]) > 0


@pytest.mark.parametrize(
    ("path", "code", "fragment"),
    [
        ("/api/v3/klines?symbol=NOPEUSDT&interval=1m", -1121, "Invalid symbol"),
        ("/api/v3/depth?symbol=btcusdt", -1100, "parameter 'symbol'"),
        ("/api/v3/klines?interval=1m", -1102, "'symbol'"),
        ("/api/v3/klines?symbol=BTCUSDT", -1102, "'interval'"),
        ("/api/v3/klines?symbol=BTCUSDT&interval=7m", -1120, "Invalid interval"),
        ("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=abc", -1100, "'limit'"),
        ("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=-5", -1100, "'startTime'"),
        ("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=0", -1100, "'limit'"),
        ("/api/v3/depth?symbol=BTCUSDT&limit=1.5", -1100, "'limit'"),
        ("/api/v3/ticker/24hr?symbols=BTCUSDT", -1100, "'symbols'"),
        ("/api/v3/ticker/price?symbol=BTCUSDT&symbols=[]", -1100, "together"),
        ("/api/v3/ticker/24hr?symbol=", -1102, "'symbol'"),
    ],
)
async def test_bad_requests_get_binance_errors(
    client: Client, path: str, code: int, fragment: str
) -> None:
    body = await get_json(client, path, status=400)
    assert body["code"] == code
    assert fragment in body["msg"]


async def test_unknown_paths_and_methods_get_json_errors(client: Client) -> None:
    for path in ("/nothing", "/sapi/v1/capital/config/getall", "/fapi/v1/exchangeInfo"):
        body = await get_json(client, path, status=404)
        assert body["code"] == -1000 and path in body["msg"]
    response = await client.post("/api/v3/klines", data="x")
    assert response.status == 405
    assert (await response.json())["code"] == -1000


async def test_unexpected_failure_is_a_json_500_without_traceback(aiohttp_client: Any) -> None:
    def broken_clock() -> int:
        raise RuntimeError("clock exploded")

    client = await aiohttp_client(create_app(SandboxSettings(), clock=broken_clock))
    response = await client.get("/api/v3/time")
    assert response.status == 500
    text = await response.text()
    assert json.loads(text)["code"] == -1000
    assert "Traceback" not in text and "exploded" not in text
