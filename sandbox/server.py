"""The sandbox exchange's HTTP app: Binance's public spot REST API over the sandbox market."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox import params, wire
from sandbox.catalog import Instrument, catalogue
from sandbox.errors import (
    ApiError,
    HttpError,
    InvalidIntervalError,
    MethodNotAllowedError,
    NotFoundError,
)
from sandbox.faults import add_fault_routes, fault_middleware
from sandbox.market import INTERVALS, Market
from sandbox.settings import SandboxSettings

logger = logging.getLogger(__name__)

Clock = Callable[[], int]

MARKET = web.AppKey("market", Market)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
SETTINGS = web.AppKey("settings", SandboxSettings)

KLINES_MAX = 1_000
DEPTH_MAX = 5_000


def wall_clock_ms() -> int:
    """Milliseconds since the epoch, the sandbox's notion of now."""
    return time.time_ns() // 1_000_000


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turns every failure into Binance's JSON error body; never HTML or a traceback."""
    try:
        response = await handler(request)
        logger.debug("%s %s -> %s", request.method, request.path_qs, response.status)
        return response
    except web.HTTPNotFound:
        error: ApiError = NotFoundError(f"Unknown path {request.path}")
    except web.HTTPMethodNotAllowed:
        error = MethodNotAllowedError(f"Method {request.method} not allowed on {request.path}")
    except web.HTTPException as exc:
        error = HttpError(exc.status, exc.reason)
    except ApiError as exc:
        error = exc
    except Exception:
        logger.exception("unexpected error serving %s %s", request.method, request.path_qs)
        return web.json_response(
            {"code": -1000, "msg": "An unknown error occurred while processing the request."},
            status=500,
        )
    if isinstance(error, NotFoundError | MethodNotAllowedError):
        logger.warning("refused %s %s: %s", request.method, request.path_qs, error.msg)
    return web.json_response({"code": error.code, "msg": error.msg}, status=error.status)


def listed(request: web.Request) -> list[Instrument]:
    """The instruments a request names (`symbol=`/`symbols=`), or every listed one."""
    market = request.app[MARKET]
    return params.symbols(request.query, market.listed) or list(market.listed.values())


def one_listed(request: web.Request) -> Instrument:
    """The listed instrument of the required `symbol=`."""
    return params.symbol(
        params.required(request.query, "symbol"), listed=request.app[MARKET].listed
    )


async def ping(request: web.Request) -> web.Response:
    """`GET /api/v3/ping`: connectivity check."""
    return web.json_response({})


async def server_time(request: web.Request) -> web.Response:
    """`GET /api/v3/time`."""
    return web.json_response({"serverTime": request.app[CLOCK]()})


async def exchange_info(request: web.Request) -> web.Response:
    """`GET /api/v3/exchangeInfo[?symbol=|symbols=]`: every listed spot symbol."""
    chosen = listed(request)
    return web.json_response(wire.exchange_info(chosen, request.app[CLOCK]()))


async def klines(request: web.Request) -> web.Response:
    """`GET /api/v3/klines?symbol=&interval=[&startTime=&endTime=&limit=]`."""
    query = request.query
    inst = one_listed(request)
    interval = params.required(query, "interval")
    if interval not in INTERVALS:
        raise InvalidIntervalError()
    # Like Binance, a limit above the maximum is cut down rather than refused.
    limit = min(params.integer(query, "limit", 500, lo=1) or 500, KLINES_MAX)
    start = params.integer(query, "startTime")
    end = params.integer(query, "endTime")
    candles = request.app[MARKET].klines(
        inst.symbol, interval, request.app[CLOCK](), start_ms=start, end_ms=end, limit=limit
    )
    return web.json_response(wire.kline_rows(candles, INTERVALS[interval] * 60_000))


async def depth(request: web.Request) -> web.Response:
    """`GET /api/v3/depth?symbol=[&limit=]`: the order book around the current price."""
    inst = params.symbol(
        params.required(request.query, "symbol"), listed=request.app[MARKET].listed
    )
    # Binance truncates limits above 5000 instead of refusing them.
    limit = min(params.integer(request.query, "limit", 100, lo=1) or 100, DEPTH_MAX)
    book = request.app[MARKET].book(inst.symbol, request.app[CLOCK](), limit)
    return web.json_response(wire.depth(book))


def _one_or_many(request: web.Request, chosen: list[object]) -> web.Response:
    # Binance answers `symbol=` with one object and everything else with a list.
    if "symbol" in request.query:
        return web.json_response(chosen[0])
    return web.json_response(chosen)


async def ticker_24h(request: web.Request) -> web.Response:
    """`GET /api/v3/ticker/24hr[?symbol=|symbols=]`: rolling 24-hour statistics."""
    market, now = request.app[MARKET], request.app[CLOCK]()
    chosen = listed(request)
    entries: list[object] = [
        wire.ticker_24h(i, market.ticker_24h(i.symbol, now), market.book(i.symbol, now, 1))
        for i in chosen
    ]
    return _one_or_many(request, entries)


async def ticker_price(request: web.Request) -> web.Response:
    """`GET /api/v3/ticker/price[?symbol=|symbols=]`: last prices."""
    market, now = request.app[MARKET], request.app[CLOCK]()
    chosen = listed(request)
    entries: list[object] = [
        {"symbol": i.symbol, "price": wire.num(market.last_price(i.symbol, now))} for i in chosen
    ]
    return _one_or_many(request, entries)


async def book_ticker(request: web.Request) -> web.Response:
    """`GET /api/v3/ticker/bookTicker[?symbol=|symbols=]`: best bid and ask."""
    market, now = request.app[MARKET], request.app[CLOCK]()
    chosen = listed(request)
    entries: list[object] = [wire.book_ticker(i, market.book(i.symbol, now, 1)) for i in chosen]
    return _one_or_many(request, entries)


async def avg_price(request: web.Request) -> web.Response:
    """`GET /api/v3/avgPrice?symbol=`: mean close of the last 5 minutes."""
    inst = params.symbol(
        params.required(request.query, "symbol"), listed=request.app[MARKET].listed
    )
    now = request.app[CLOCK]()
    candles = request.app[MARKET].klines(inst.symbol, "1m", now, limit=5)
    price = wire.num(float(candles.close.mean()))
    return web.json_response({"mins": 5, "price": price, "closeTime": now})


def create_app(settings: SandboxSettings, clock: Clock = wall_clock_ms) -> web.Application:
    """Build the sandbox app; `clock` (ms since the epoch) is replaceable for tests.

    `/sandbox/faults` (sandbox/faults.py) makes the exchange routes misbehave on purpose.
    """
    # Faults sit inside the error middleware: a refused fault request is a Binance error body.
    app = web.Application(middlewares=[error_middleware, fault_middleware])
    app[SETTINGS] = settings
    app[MARKET] = Market(settings.seed, settings.volatility, catalogue(settings.markets))
    app[CLOCK] = clock
    routes = {
        "/api/v3/ping": ping,
        "/api/v3/time": server_time,
        "/api/v3/exchangeInfo": exchange_info,
        "/api/v3/klines": klines,
        "/api/v3/depth": depth,
        "/api/v3/ticker/24hr": ticker_24h,
        "/api/v3/ticker/price": ticker_price,
        "/api/v3/ticker/bookTicker": book_ticker,
        "/api/v3/avgPrice": avg_price,
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    add_fault_routes(app)
    return app
