"""The FreqTrade config blocks that point a bot at the sandbox."""

from __future__ import annotations

import ccxt
import pytest

from sandbox.botconfig import exchange_config, standalone_bot_config
from sandbox.catalog import UnknownPairError

BASE = "http://127.0.0.1:9999"


def test_every_ccxt_binance_url_points_at_the_sandbox() -> None:
    block = exchange_config(BASE + "/", ["BTC/USDT"])
    real = ccxt.binance().urls["api"]
    for key in ("ccxt_config", "ccxt_async_config"):
        urls = block[key]["urls"]["api"]
        assert set(urls) == set(real)
        assert all(url.startswith(BASE + "/") for url in urls.values())
    assert block["ccxt_config"]["urls"]["api"]["public"] == BASE + "/api/v3"
    assert block["ccxt_config"]["urls"]["api"]["sapi"] == BASE + "/sapi/v1"
    assert block["ccxt_config"] is not block["ccxt_async_config"]


def test_exchange_block_settings() -> None:
    block = exchange_config(BASE, ["btc/usd", "ETH/EUR"])
    assert block["name"] == "binance"
    assert block["pair_whitelist"] == ["BTC/USD", "ETH/EUR"]
    assert block["ccxt_config"]["options"]["fetchMarkets"]["types"] == ["spot"]
    assert block["enable_ws"] is False and block["only_from_ccxt"] is True


def test_unlisted_pairs_are_refused_up_front() -> None:
    with pytest.raises(UnknownPairError, match="SHIB/USDT"):
        exchange_config(BASE, ["BTC/USDT", "SHIB/USDT"])


def test_standalone_config_needs_a_long_jwt_secret() -> None:
    with pytest.raises(ValueError, match="32"):
        standalone_bot_config(
            BASE,
            ["BTC/USDT"],
            strategy="SandboxScalp1m",
            strategy_path="strategies",
            api_port=1,
            jwt_secret_key="short",
            db_url="sqlite://",
        )
