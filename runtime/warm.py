# ruff: noqa: E402, F401
"""Preloaded by the forkserver: import everything a bot needs once, then freeze the heap.

Every bot is forked from this state, so these modules are shared copy-on-write instead of
being imported again by each bot (about 2 s and ~200 MiB each). Never imported by the
supervisor itself. `gc.freeze()` keeps a child's full collection from touching (and so
copying) the parent's pages (see docs/runtime.md).

Beyond imports, it also does once what every bot would otherwise do for itself, so the
result is shared copy-on-write instead of private to each bot: the modules a bot imports
lazily (`BOT_LAZY_IMPORTS`), ccxt's binance class-level set-up, FreqTrade's SQLAlchemy
mapper configuration, and one pass of the candle -> dataframe -> indicator -> signal path.
All of it is pure computation: no sockets, threads, event loops or database engines here.

One exception, bounded: the pool's market catalogue (`SHARED_MARKETS`), loaded over HTTP
from the exchange the supervisor named in the environment, with a few seconds' deadline and
the session closed afterwards (runtime/markets/shared.py). Bots adopt it instead of loading
their own (runtime/markets/hook.py); if it failed, it is None and bots load their own.
"""

from __future__ import annotations

import gc
import importlib
import os
import pkgutil
import time

_started = time.monotonic()

import ccxt
import ccxt.async_support
import fastapi
import numpy
import pandas
import sqlalchemy
import talib
import uvicorn
from freqtrade.commands import Arguments
from freqtrade.commands.trade_commands import start_trading
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.rpc.api_server import (
    ApiServer,
    api_v1,
)
from freqtrade.worker import Worker

import runtime.exchange
import runtime.ksm
import runtime.markets.shared
import strategies

# Imported lazily by every bot (found by diffing `sys.modules` of a running bot against the
# forkserver's): FreqTrade's API routers with their JWT/crypto stack, uvicorn's protocol and
# lifespan modules, uvloop, anyio's asyncio backend, SQLite, and the bot child's own
# helpers. Imported here, their module and class objects are shared instead of per bot.
BOT_LAZY_IMPORTS = (
    "anyio._backends._asyncio",
    "cryptography.x509",
    "freqtrade.exchange.check_exchange",
    "freqtrade.rpc.api_server.api_analysis",
    "freqtrade.rpc.api_server.api_auth",
    "freqtrade.rpc.api_server.api_background_tasks",
    "freqtrade.rpc.api_server.api_backtest",
    "freqtrade.rpc.api_server.api_download_data",
    "freqtrade.rpc.api_server.api_pair_history",
    "freqtrade.rpc.api_server.api_trading",
    "freqtrade.rpc.api_server.api_webserver",
    "freqtrade.rpc.api_server.api_ws",
    "freqtrade.rpc.api_server.web_ui",
    "freqtrade.system",
    "h11",
    "jwt",
    "pyarrow.pandas_compat",
    "runtime.apitick",
    "runtime.botconfig",
    "runtime.child",
    "runtime.markets.hook",
    "runtime.markets.intern",
    "runtime.priority",
    "runtime.process",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlite3",
    "uvicorn.lifespan.on",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.protocols.websockets.websockets_sansio_impl",
    "uvloop",
    "websockets.server",
)


def _import_strategies() -> list[str]:
    """Import the shipped strategy modules, so their own imports are warm too."""
    names = []
    for info in pkgutil.iter_modules(strategies.__path__, "strategies."):
        importlib.import_module(info.name)
        names.append(info.name)
    return names


def _prebuild_exchanges() -> None:
    """Instantiate ccxt's default exchange (sync and async) once and discard them.

    No network: ccxt opens sessions lazily. What this leaves behind are ccxt's class-level
    caches, which every bot would otherwise build (and so own privately) on its own. The
    preload cannot see the pool's settings; bots of another exchange build their own.
    """
    name = runtime.exchange.DEFAULT_EXCHANGE
    getattr(ccxt, name)()
    getattr(ccxt.async_support, name)()
    # Each bot writes its exchange block from ccxt's URL table: cache it here.
    runtime.exchange.api_urls(name)


def _configure_orm() -> None:
    """Configure FreqTrade's SQLAlchemy mappers (Trade, Order, ...) once; needs no engine."""
    import freqtrade.persistence
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


def _warm_dataframes() -> None:
    """Run the candle -> dataframe -> indicator -> signal path once on synthetic candles.

    pandas, numpy and talib build caches and import modules lazily on first use; done here,
    bots share them. Pure computation: no files, sockets or threads.
    """
    from freqtrade.data.converter import ohlcv_to_dataframe
    from talib import abstract

    start = 1_700_000_040_000
    candles = [
        [start + i * 60_000, 100.0 + i % 7, 101.0 + i % 5, 99.0 - i % 3, 100.5 + i % 4, 10.0 + i]
        for i in range(500)
    ]
    frame = ohlcv_to_dataframe(candles, "1m", "BTC/USDT", fill_missing=True, drop_incomplete=True)
    frame["rsi"] = abstract.RSI(frame, timeperiod=7)
    entry = ((frame["close"] < frame["open"]) | (frame["rsi"] < 45)) & (frame["volume"] > 0)
    frame.loc[entry, ["enter_long", "enter_tag"]] = (1, "dip")
    frame.loc[(frame["rsi"] > 60) & (frame["volume"] > 0), "exit_long"] = 1


for _name in BOT_LAZY_IMPORTS:
    importlib.import_module(_name)
STRATEGY_MODULES = _import_strategies()
_configure_orm()
_warm_dataframes()
_prebuild_exchanges()
# Before the freeze, so the shared market objects are in the permanent generation too.
SHARED_MARKETS = runtime.markets.shared.load_from_environ(os.environ)
# The bots forked from here inherit it: pages a bot copied only to change a reference count
# and back are merged with the parent's again where the host runs ksmd (runtime/ksm.py).
KSM_MERGE = runtime.ksm.wanted(os.environ) and runtime.ksm.enable_merge()
WARM_PID = os.getpid()
WARM_SECONDS = time.monotonic() - _started
# Last: everything allocated so far moves to the permanent generation.
gc.freeze()
WARMED = True
