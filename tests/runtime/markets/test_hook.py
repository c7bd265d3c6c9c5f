"""FreqTrade's own market loading in a bot child, patched to take the warm parent's markets."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from freqtrade.enums import RunMode
from freqtrade.exchange import Binance
from freqtrade.exchange.exchange import Exchange

from runtime.exchange import ExchangeSpec, exchange_block
from runtime.markets import hook
from runtime.markets.shared import SharedMarkets, load
from tests.runtime.markets.conftest import EXCHANGE_INFO, CountingExchange

HOUR_MS = 3_600_000


@pytest.fixture
def exchange(counting_exchange: Callable[[], CountingExchange]) -> CountingExchange:
    return counting_exchange()


@pytest.fixture
def spec(exchange: CountingExchange) -> ExchangeSpec:
    return ExchangeSpec("binance", exchange.url)


@pytest.fixture
def warm(monkeypatch: pytest.MonkeyPatch, spec: ExchangeSpec) -> Callable[..., SharedMarkets]:
    """Factory: make this process look forked from a warm parent holding `spec`'s markets."""
    # install() patches FreqTrade's class: put the originals back after the test.
    for name in ("_load_async_markets", "reload_markets"):
        monkeypatch.setattr(Exchange, name, getattr(Exchange, name))

    def factory(age_ms: int = 0) -> SharedMarkets:
        shared = load(spec, timeout=5)
        assert shared is not None
        shared.loaded_at_ms -= age_ms
        monkeypatch.setitem(
            sys.modules, "runtime.warm", types.SimpleNamespace(SHARED_MARKETS=shared)
        )
        return shared

    return factory


@pytest.fixture
def bot_exchange(spec: ExchangeSpec) -> Iterator[Callable[[], Any]]:
    """Factory: FreqTrade's Binance exchange as a bot builds it (the pool's exchange block)."""
    made: list[Any] = []

    def factory() -> Any:
        config = {
            "exchange": exchange_block(spec, ["BTC/USDT", "ETH/USDT"]),
            "dry_run": True,
            "stake_currency": "USDT",
            "runmode": RunMode.DRY_RUN,
            "trading_mode": "spot",
            "margin_mode": "",
            "timeframe": "1m",
        }
        made.append(Binance(config, validate=False, load_leverage_tiers=False))
        return made[-1]

    yield factory
    for one in made:
        one.close()


def test_the_initial_load_adopts_the_shared_markets_without_a_request(
    warm: Callable[..., SharedMarkets], exchange: CountingExchange, bot_exchange: Any
) -> None:
    shared = warm(age_ms=10 * 60_000)
    assert hook.install(shared.spec)
    bot = bot_exchange()
    loads = exchange.count(EXCHANGE_INFO)
    bot.reload_markets(True, load_leverage_tiers=False)  # FreqTrade's initial load

    assert exchange.count(EXCHANGE_INFO) == loads
    assert bot.markets is shared.markets
    assert bot._api.markets is shared.markets and bot._api_async.markets is shared.markets
    assert bot._api.markets_by_id is shared.markets_by_id
    assert bot._api.options["crossMarginPairsData"] is shared.options["crossMarginPairsData"]
    # The next scheduled reload is due an interval after the warm parent loaded, not later.
    assert bot._last_markets_refresh == shared.loaded_at_ms
    assert bot.get_pair_quote_currency("BTC/USDT") == "USDT"
    bot.validate_stakecurrency("USDT")


def test_the_scheduled_reload_asks_the_exchange_and_interns(
    warm: Callable[..., SharedMarkets], exchange: CountingExchange, bot_exchange: Any
) -> None:
    shared = warm(age_ms=10 * 60_000)
    hook.install(shared.spec)
    bot = bot_exchange()
    bot.reload_markets(True, load_leverage_tiers=False)
    loads = exchange.count(EXCHANGE_INFO)

    bot._last_markets_refresh -= HOUR_MS  # an hour later, as FreqTrade's loop sees it
    bot.reload_markets()

    assert exchange.count(EXCHANGE_INFO) == loads + 1
    assert bot._last_markets_refresh > shared.loaded_at_ms
    assert bot.markets is not shared.markets  # a table of its own ...
    for symbol, market in bot.markets.items():  # ... holding the shared, unchanged, markets
        assert market is shared.markets[symbol]
    assert bot._api.markets["ETH/USDT"] is shared.markets["ETH/USDT"]


def test_shared_markets_older_than_the_refresh_interval_are_not_adopted(
    warm: Callable[..., SharedMarkets], exchange: CountingExchange, bot_exchange: Any
) -> None:
    shared = warm(age_ms=2 * HOUR_MS)  # the bot's interval is 60 minutes
    hook.install(shared.spec)
    bot = bot_exchange()
    loads = exchange.count(EXCHANGE_INFO)
    bot.reload_markets(True, load_leverage_tiers=False)

    assert exchange.count(EXCHANGE_INFO) == loads + 1
    assert bot.markets is not shared.markets
    assert bot.markets["BTC/USDT"] is shared.markets["BTC/USDT"]  # still interned
    assert bot._last_markets_refresh > shared.loaded_at_ms + HOUR_MS


def test_another_exchange_or_no_warm_markets_leaves_freqtrade_as_it_is(
    warm: Callable[..., SharedMarkets], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Exchange._load_async_markets
    shared = warm()
    assert not hook.install(ExchangeSpec("binance", "http://127.0.0.1:9"))
    assert not hook.install(ExchangeSpec("kraken", shared.spec.base_url))
    monkeypatch.delitem(sys.modules, "runtime.warm")
    assert not hook.install(shared.spec)
    assert Exchange._load_async_markets is original
