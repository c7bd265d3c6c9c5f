"""FreqTrade configuration that points an unmodified bot at the sandbox exchange.

The generic part (an exchange's `exchange` block with every ccxt URL pointed at one base
URL) is `runtime.exchange`; what is the sandbox's own is here: it serves Binance's API, its
catalogue names the pairs, and a complete stand-alone config for tests and runs by hand.
"""

from __future__ import annotations

from typing import Any

from runtime.exchange import ExchangeSpec, exchange_block
from sandbox.catalog import market_pair


def sandbox_exchange(base_url: str) -> ExchangeSpec:
    """The sandbox served at `base_url`, as ccxt's binance with every URL pointed there."""
    return ExchangeSpec("binance", base_url.rstrip("/"))


def exchange_config(base_url: str, pairs: list[str]) -> dict[str, Any]:
    """The `exchange` block of a FreqTrade config trading `pairs` on the sandbox.

    Pairs go through `market_pair`, so an unlisted pair fails here with a clear message
    instead of inside the bot.
    """
    return exchange_block(sandbox_exchange(base_url), [market_pair(p) for p in pairs])


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
