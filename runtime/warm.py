# ruff: noqa: E402, F401
"""Preloaded by the forkserver: import everything a bot needs once, then freeze the heap.

Every bot is forked from this state, so these modules are shared copy-on-write instead of
being imported again by each bot (about 2 s and ~200 MiB each). Never imported by the
supervisor itself. `gc.freeze()` keeps a child's full collection from touching (and so
copying) the parent's pages (see docs/runtime.md).
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

import strategies


def _import_strategies() -> list[str]:
    """Import the shipped strategy modules, so their own imports are warm too."""
    names = []
    for info in pkgutil.iter_modules(strategies.__path__, "strategies."):
        importlib.import_module(info.name)
        names.append(info.name)
    return names


STRATEGY_MODULES = _import_strategies()
WARM_PID = os.getpid()
WARM_SECONDS = time.monotonic() - _started
# Last: everything allocated so far moves to the permanent generation.
gc.freeze()
WARMED = True
