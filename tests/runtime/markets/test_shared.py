"""What the warm parent loads: the pool's markets from the real sandbox, or nothing, fast."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from runtime.exchange import ExchangeSpec
from runtime.markets.shared import (
    ENV_NAME,
    LISTS,
    TABLES,
    digest,
    environ_for,
    load,
    load_from_environ,
    spec_from_environ,
)
from tests.runtime.markets.conftest import EXCHANGE_INFO, CountingExchange


def test_the_supervisor_names_the_exchange_in_the_environment() -> None:
    spec = ExchangeSpec("binance", "http://127.0.0.1:18070")
    assert spec_from_environ(environ_for(spec, 3.5)) == (spec, 3.5)
    assert spec_from_environ({}) is None
    assert spec_from_environ({ENV_NAME: "binance"}) == (ExchangeSpec("binance", ""), 5.0)
    assert load_from_environ({}) is None  # no exchange named: nothing loaded, no request


def test_loads_every_market_once_with_fingerprints(
    counting_exchange: Callable[[], CountingExchange],
) -> None:
    exchange = counting_exchange()
    before = time.time_ns() // 1_000_000
    shared = load(ExchangeSpec("binance", exchange.url), timeout=5)
    assert shared is not None
    assert exchange.count(EXCHANGE_INFO) == 1
    assert shared.id == "binance" and "BTC/USDT" in shared.markets
    assert before <= shared.loaded_at_ms <= time.time_ns() // 1_000_000
    assert shared.markets_by_id["BTCUSDT"][0]["symbol"] == "BTC/USDT"
    assert sorted(shared.symbols) == sorted(shared.markets)
    for name in TABLES:
        assert shared.digests[name].keys() == getattr(shared, name).keys()
    assert shared.list_digests.keys() == set(LISTS)
    # What load_markets set in ccxt's options travels with the markets (binance: margin pairs).
    assert "crossMarginPairsData" in shared.options


def test_an_unreachable_exchange_leaves_no_shared_markets(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # a port nobody listens on: refused at once
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with caplog.at_level(logging.WARNING, logger="runtime.markets.shared"):
        assert load(ExchangeSpec("binance", url), timeout=2) is None
    assert "bots load their own" in caplog.text


@pytest.fixture
def silent_exchange() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_an_exchange_that_never_answers_is_given_up_on_the_deadline(silent_exchange: str) -> None:
    started = time.monotonic()
    assert load(ExchangeSpec("binance", silent_exchange), timeout=1.0) is None
    assert time.monotonic() - started < 4


def test_an_exchange_error_leaves_no_shared_markets(
    counting_exchange: Callable[[], CountingExchange],
) -> None:
    exchange = counting_exchange()
    exchange.refusing = True
    assert load(ExchangeSpec("binance", exchange.url), timeout=2) is None


def test_fingerprints_ignore_key_order_and_see_every_change() -> None:
    market = {"symbol": "BTC/USDT", "precision": {"amount": 1e-05, "price": 0.01}, "active": True}
    reordered = {"active": True, "precision": {"price": 0.01, "amount": 1e-05}}
    reordered["symbol"] = "BTC/USDT"
    assert digest(market) == digest(reordered)
    assert digest(market) != digest({**market, "precision": {"amount": 1e-04, "price": 0.01}})
    assert digest(market) != digest({**market, "active": False})
    assert digest(market) != digest({**market, "limits": None})
