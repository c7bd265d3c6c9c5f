"""FreqTrade configuration that points an unmodified bot at the sandbox exchange."""

from __future__ import annotations

import copy
import functools
from typing import Any
from urllib.parse import urlsplit

from sandbox.catalog import UnknownPairError, market_pair, sandbox_pairs

# The pair helpers live in `catalog`; re-exported so a bot's config needs one import.
__all__ = [
    "UnknownPairError",
    "ccxt_config",
    "exchange_config",
    "market_pair",
    "sandbox_pairs",
    "standalone_bot_config",
]


@functools.cache
def binance_api_urls() -> tuple[tuple[str, str], ...]:
    """ccxt's own `binance().urls["api"]` table as (key, url) pairs, built once per process.

    Building a ccxt exchange touches much of ccxt's class data; cached, a pool's warm
    forkserver builds it once and its bots (which write their own exchange block) share it.
    """
    import ccxt

    urls: dict[str, str] = ccxt.binance().urls["api"]
    return tuple(urls.items())


def _ccxt_api_urls(base_url: str) -> dict[str, str]:
    # Every key of ccxt's own table, read at runtime: a key left out keeps Binance's real
    # host and that request hangs with no internet. Each keeps its path (/api/v3, /sapi/v1)
    # so the sandbox sees what was meant and can refuse what it does not serve.
    root = base_url.rstrip("/")
    return {key: root + urlsplit(url).path for key, url in binance_api_urls()}


def ccxt_config(base_url: str) -> dict[str, Any]:
    """ccxt options for `binance` served by the sandbox at `base_url` (no keys needed)."""
    return {
        "urls": {"api": _ccxt_api_urls(base_url)},
        "options": {"fetchMarkets": {"types": ["spot"]}},
        "enableRateLimit": False,
        "timeout": 10_000,
    }


def exchange_config(base_url: str, pairs: list[str]) -> dict[str, Any]:
    """The `exchange` block of a FreqTrade config trading `pairs` on the sandbox.

    Pairs go through `market_pair`, so an unlisted pair fails here with a clear message
    instead of inside the bot.
    """
    options = ccxt_config(base_url)
    return {
        "name": "binance",
        "key": "",
        "secret": "",
        "pair_whitelist": [market_pair(p) for p in pairs],
        "pair_blacklist": [],
        "ccxt_config": options,
        # A separate copy: FreqTrade and ccxt may update one without the other.
        "ccxt_async_config": copy.deepcopy(options),
        "enable_ws": False,
        # Binance's bulk archive (data.binance.vision) is unreachable: use the REST API only.
        "only_from_ccxt": True,
        "markets_refresh_interval": 60,
    }


def standalone_bot_config(
    base_url: str,
    pairs: list[str],
    *,
    strategy: str,
    strategy_path: str,
    api_port: int,
    jwt_secret_key: str,
    db_url: str,
    stake_currency: str = "USDT",
    dry_run_wallet: float = 1_000.0,
    max_open_trades: int = 3,
    timeframe: str | None = None,
) -> dict[str, Any]:
    """A complete dry-run FreqTrade config against the sandbox, with the REST API enabled.

    Used by the end-to-end tests and handy for running one bot by hand; the pool runtime
    builds its own configs around `exchange_config`.
    """
    if len(jwt_secret_key) < 32:
        raise ValueError("FreqTrade needs a jwt_secret_key of at least 32 characters")
    config: dict[str, Any] = {
        "bot_name": f"sandbox-{strategy}",
        "dry_run": True,
        "dry_run_wallet": dry_run_wallet,
        "trading_mode": "spot",
        "stake_currency": stake_currency,
        "stake_amount": "unlimited",
        "tradable_balance_ratio": 0.99,
        "max_open_trades": max_open_trades,
        "fiat_display_currency": "",
        "cancel_open_orders_on_exit": False,
        "unfilledtimeout": {"entry": 2, "exit": 2, "unit": "minutes"},
        # Take the opposite side of the book so dry-run orders fill at once.
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exchange": exchange_config(base_url, pairs),
        "pairlists": [{"method": "StaticPairList"}],
        "strategy": strategy,
        "strategy_path": strategy_path,
        "db_url": db_url,
        "initial_state": "running",
        "internals": {"process_throttle_secs": 5, "heartbeat_interval": 0},
        "telegram": {"enabled": False, "token": "", "chat_id": ""},
        "api_server": {
            "enabled": True,
            "listen_ip_address": "127.0.0.1",
            "listen_port": api_port,
            "verbosity": "error",
            "enable_openapi": False,
            "jwt_secret_key": jwt_secret_key,
            "CORS_origins": [],
            "username": "sandbox",
            "password": "sandbox",
        },
    }
    if timeframe is not None:
        config["timeframe"] = timeframe
    return config
