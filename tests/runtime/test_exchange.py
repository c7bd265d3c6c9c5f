"""The pool's exchange: its FreqTrade block from settings, and the cached market list."""

from __future__ import annotations

from urllib.parse import urlsplit

import ccxt
import pytest

from runtime.errors import InvalidInput, Unavailable
from runtime.exchange import ExchangeSpec, MarketList, exchange_block
from runtime.settings import PoolSettings

BASE = "http://127.0.0.1:9999"


def _leaves(table: object) -> list[str]:
    if isinstance(table, dict):
        return [url for value in table.values() for url in _leaves(value)]
    return [str(table)]


def test_the_exchange_comes_from_the_settings() -> None:
    assert ExchangeSpec.of(PoolSettings(exchange_url=BASE + "/")) == ExchangeSpec("binance", BASE)
    real_hosts = PoolSettings(exchange_name="kraken", exchange_override_urls=False)
    assert ExchangeSpec.of(real_hosts) == ExchangeSpec("kraken", "")
    with pytest.raises(ValueError, match="CRYPTOPILOT_POOL_EXCHANGE_NAME='Bin ance'"):
        PoolSettings(exchange_name="Bin ance")
    with pytest.raises(ValueError, match="CRYPTOPILOT_POOL_EXCHANGE_OVERRIDE_URLS needs"):
        PoolSettings(exchange_url="")


@pytest.mark.parametrize("name", ["binance", "kraken"])
def test_every_ccxt_url_of_the_exchange_is_pointed_at_the_base(name: str) -> None:
    block = exchange_block(ExchangeSpec(name, BASE), ["BTC/USDT"])
    real = getattr(ccxt, name)().urls["api"]
    assert block["name"] == name and block["pair_whitelist"] == ["BTC/USDT"]
    for key in ("ccxt_config", "ccxt_async_config"):
        urls = block[key]["urls"]["api"]
        assert len(_leaves(urls)) == len(_leaves(real))
        assert {urlsplit(url).netloc for url in _leaves(urls)} == {"127.0.0.1:9999"}
    assert block["ccxt_config"] is not block["ccxt_async_config"]


def test_without_override_the_exchange_keeps_its_hosts() -> None:
    block = exchange_block(ExchangeSpec("binance", ""), ["BTC/USDT"])
    assert "urls" not in block["ccxt_config"] and "enableRateLimit" not in block["ccxt_config"]


async def test_pairs_are_checked_against_a_list_read_once_per_ttl() -> None:
    reads: list[ExchangeSpec] = []
    now = [0.0]

    def read(exchange: ExchangeSpec) -> list[str]:
        reads.append(exchange)
        return ["BTC/USDT", "ETH/USDT"]

    markets = MarketList(ExchangeSpec("binance", BASE), read, ttl=60, clock=lambda: now[0])
    await markets.check(["BTC/USDT", "ETH/USDT"])
    with pytest.raises(InvalidInput) as refused:
        await markets.check(["BTC/USDT", "NOPE/USDT"])
    assert refused.value.code == "UNKNOWN_PAIR" and "NOPE/USDT" in refused.value.message
    assert len(reads) == 1
    now[0] = 60.0
    await markets.check(["BTC/USDT"])
    assert len(reads) == 2


async def test_an_unreadable_exchange_is_unavailable_and_read_again() -> None:
    answers: list[list[str] | Exception] = [
        Unavailable("cannot read the markets", "EXCHANGE_UNAVAILABLE"),
        ["BTC/USDT"],
    ]

    def read(exchange: ExchangeSpec) -> list[str]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    markets = MarketList(ExchangeSpec("binance", BASE), read, ttl=60)
    with pytest.raises(Unavailable):
        await markets.check(["BTC/USDT"])
    await markets.check(["BTC/USDT"])  # a failure is not cached
