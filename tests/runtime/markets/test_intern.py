"""A bot's ccxt client adopts the shared markets, and interns what it reloads against them."""

from __future__ import annotations

from typing import Any

import ccxt.async_support
import pytest

from runtime.exchange import ExchangeSpec, ccxt_config
from runtime.markets.intern import adopt, intern
from runtime.markets.shared import SharedMarkets, load


@pytest.fixture
def spec(sandbox_url: str) -> ExchangeSpec:
    return ExchangeSpec("binance", sandbox_url)


@pytest.fixture
def shared(spec: ExchangeSpec) -> SharedMarkets:
    markets = load(spec, timeout=5)
    assert markets is not None
    return markets


async def _loaded(spec: ExchangeSpec) -> Any:
    """A bot's async client after its own `load_markets` from the sandbox."""
    client = ccxt.async_support.binance(ccxt_config(spec))
    try:
        await client.load_markets(reload=True)
    finally:
        await client.close()
    return client


def test_adopting_gives_the_client_the_shared_tables_and_options(
    spec: ExchangeSpec, shared: SharedMarkets
) -> None:
    client = ccxt.async_support.binance(ccxt_config(spec))
    adopt(client, shared)
    assert client.markets is shared.markets
    assert client.markets_by_id is shared.markets_by_id
    assert client.currencies is shared.currencies
    assert client.symbols is shared.symbols
    assert client.options["crossMarginPairsData"] is shared.options["crossMarginPairsData"]
    assert client.market("BTC/USDT") is shared.markets["BTC/USDT"]


async def test_an_unchanged_reload_is_interned_entirely(
    spec: ExchangeSpec, shared: SharedMarkets
) -> None:
    client = await _loaded(spec)
    assert client.markets["BTC/USDT"] is not shared.markets["BTC/USDT"]
    stats = intern(client, shared)
    assert stats.private == 0
    assert stats.shared == sum(len(table) for table in shared.digests.values())
    for symbol, market in client.markets.items():
        assert market is shared.markets[symbol]
    for market_id, markets in client.markets_by_id.items():
        assert markets is shared.markets_by_id[market_id]
    for code, currency in client.currencies.items():
        assert currency is shared.currencies[code]
    assert client.symbols is shared.symbols and client.ids is shared.ids
    assert client.market("ETH/USDT") is shared.markets["ETH/USDT"]


async def test_a_reload_keeps_equal_markets_shared_and_takes_changed_and_new_ones(
    spec: ExchangeSpec,
) -> None:
    # The warm parent's copy as it was before: BTC/USDT had another tick size and
    # SOL/USDT was not listed yet.
    before = await _loaded(spec)
    before.markets["BTC/USDT"]["precision"]["price"] = 0.5
    del before.markets["SOL/USDT"], before.markets_by_id["SOLUSDT"]
    before.symbols.remove("SOL/USDT")
    then = SharedMarkets.of(spec, before, {}, loaded_at_ms=0, load_seconds=0.0)

    client = await _loaded(spec)
    fresh_btc, fresh_sol = client.markets["BTC/USDT"], client.markets["SOL/USDT"]
    stats = intern(client, then)

    assert client.markets["BTC/USDT"] is fresh_btc  # changed: the bot's own, as loaded
    assert client.markets["BTC/USDT"]["precision"]["price"] != 0.5
    assert client.markets["SOL/USDT"] is fresh_sol  # new: the bot's own
    assert client.markets_by_id["SOLUSDT"] == [client.markets_by_id["SOLUSDT"][0]]
    assert client.markets_by_id["SOLUSDT"][0]["symbol"] == "SOL/USDT"
    assert client.markets_by_id["BTCUSDT"] is not then.markets_by_id["BTCUSDT"]
    for symbol in set(client.markets) - {"BTC/USDT", "SOL/USDT"}:  # unchanged: shared
        assert client.markets[symbol] is then.markets[symbol]
        assert (
            client.markets_by_id[client.markets[symbol]["id"]]
            is then.markets_by_id[client.markets[symbol]["id"]]
        )
    # The two markets, each in `markets` and `markets_by_id` (ccxt shares the nested
    # precision dict between the two, so the changed tick size shows in both).
    assert stats.private == 4
    assert "SOL/USDT" in client.symbols and client.symbols is not then.symbols
    assert sorted(client.symbols) == sorted(client.markets)
