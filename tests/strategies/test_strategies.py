"""The shipped strategies load through FreqTrade's own resolver and signal on sandbox candles."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from freqtrade.enums import RunMode
from freqtrade.resolvers import StrategyResolver

from sandbox.market import LISTED_AT_MS, Market

STRATEGY_DIR = Path(__file__).resolve().parents[2] / "strategies"
NOW = LISTED_AT_MS + 300 * 86_400_000 + 5 * 3_600_000 + 17 * 60_000


def load(name: str, user_data: Path, **extra: Any) -> Any:
    """The strategy as FreqTrade's resolver loads it for a dry-run bot (`extra` config keys)."""
    config = {
        "strategy": name,
        "strategy_path": str(STRATEGY_DIR),
        "user_data_dir": user_data,
        "runmode": RunMode.DRY_RUN,
        "dry_run": True,
        "stake_currency": "USDT",
        "stake_amount": 100,
        "max_open_trades": 3,
        "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT"]},
        "entry_pricing": {},
        "exit_pricing": {},
        "pairlists": [{"method": "StaticPairList"}],
    }
    return StrategyResolver.load_strategy(config | extra)


def sandbox_candles(symbol: str, timeframe: str, count: int = 1000) -> pd.DataFrame:
    candles = Market(seed=11, volatility=0.004).klines(symbol, timeframe, NOW, limit=count)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(candles.open_time, unit="ms", utc=True),
            "open": candles.open,
            "high": candles.high,
            "low": candles.low,
            "close": candles.close,
            "volume": candles.volume,
        }
    )


def signals(strategy: Any, symbol: str, pair: str) -> pd.DataFrame:
    frame = sandbox_candles(symbol, strategy.timeframe)
    result: pd.DataFrame = strategy.analyze_ticker(frame, {"pair": pair})
    return result


def test_scalper_trades_often_on_sandbox_minutes(tmp_path: Path) -> None:
    strategy = load("SandboxScalp1m", tmp_path)
    assert (strategy.timeframe, strategy.can_short) == ("1m", False)
    assert strategy.startup_candle_count <= 50
    warm = strategy.startup_candle_count
    any_entry = np.zeros(1000 - warm, dtype=bool)
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT"):
        frame = signals(strategy, symbol, symbol).iloc[warm:]
        entries = frame["enter_long"].fillna(0).to_numpy() == 1
        rule = ((frame["close"] < frame["open"]) | (frame["rsi"] < 45)).to_numpy()
        np.testing.assert_array_equal(entries, rule)
        assert set(frame.loc[entries, "enter_tag"]) == {"dip"}
        assert frame["exit_long"].fillna(0).sum() > 100
        any_entry |= entries
    # A demo bot on six pairs has an entry on nearly every minute and never waits long.
    assert any_entry.mean() > 0.95
    idle = np.diff(np.flatnonzero(np.concatenate(([True], any_entry, [True])))) - 1
    assert idle.max() <= 2


def test_ema_rsi_follows_its_rules(tmp_path: Path) -> None:
    strategy = load("EmaRsiStrategy", tmp_path)
    assert strategy.timeframe == "15m" and strategy.stoploss == -0.10
    assert strategy.minimal_roi == {0: 0.15, 60: 0.05, 120: 0.02}
    frame = signals(strategy, "ETHUSDT", "ETH/USDT")
    entries = frame[frame["enter_long"].fillna(0) == 1]
    assert len(entries) > 20
    assert (entries["ema_fast"] > entries["ema_slow"]).all()
    assert (entries["rsi"] < strategy.entry_rsi_max).all()
    exits = frame[frame["exit_long"].fillna(0) == 1]
    assert len(exits) > 5
    before = frame.shift(1).loc[exits.index]
    assert (exits["ema_fast"] < exits["ema_slow"]).all()
    assert (before["ema_fast"] >= before["ema_slow"]).all()


def test_safe_default_never_trades(tmp_path: Path) -> None:
    strategy = load("SafeDefaultStrategy", tmp_path)
    frame = signals(strategy, "SOLEUR", "SOL/EUR")
    assert len(frame) == 1000
    assert frame["enter_long"].fillna(0).sum() == 0
    assert frame["exit_long"].fillna(0).sum() == 0


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("strategies.sandbox_scalp_1m", "SandboxScalp1m"),
        ("strategies.ema_rsi_strategy", "EmaRsiStrategy"),
        ("strategies.safe_default_strategy", "SafeDefaultStrategy"),
    ],
)
def test_strategies_import_as_package_modules(module: str, name: str) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert cls.INTERFACE_VERSION == 3
    assert cls.__doc__ and cls.__doc__.strip()
