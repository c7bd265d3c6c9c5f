"""The take-profit ladder inside a real strategy, with FreqTrade's own trade and order objects."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from freqtrade.persistence import LocalTrade, Order

from strategies.take_profit_ladder import CONFIG_KEY, Rung, ladder_from_config
from tests.strategies.test_strategies import load

LADDER = [{"profit": 0.05, "exit_share": 0.5}, {"profit": 0.02, "exit_share": 0.25}]
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def order(side: str, amount: float, *, is_open: bool = False) -> Order:
    return Order(
        ft_order_side=side, ft_pair="BTC/USDT", ft_is_open=is_open, ft_amount=amount,
        ft_price=100.0, order_id=f"{side}-{amount}-{is_open}", status="open" if is_open else
        "closed", amount=amount, filled=0.0 if is_open else amount, price=100.0,
        order_type="limit", side=side,
    )  # fmt: skip


def trade(*orders: Order) -> LocalTrade:
    made = LocalTrade(
        pair="BTC/USDT", stake_amount=100.0, amount=1.0, open_rate=100.0, fee_open=0.0,
        fee_close=0.0, exchange="binance", open_date=NOW, is_open=True,
    )  # fmt: skip
    made.orders = [order("buy", 1.0), *orders]
    return made


def adjust(strategy: Any, held: LocalTrade, profit: float, min_stake: float = 5.0) -> Any:
    return strategy.adjust_trade_position(
        trade=held, current_time=NOW, current_rate=100.0, current_profit=profit,
        min_stake=min_stake, max_stake=1000.0, current_entry_rate=100.0,
        current_exit_rate=100.0, current_entry_profit=profit, current_exit_profit=profit,
    )  # fmt: skip


def test_rungs_are_sorted_and_empty_ones_dropped() -> None:
    config = {CONFIG_KEY: [*LADDER, {"profit": 0.01, "exit_share": 0}]}
    assert ladder_from_config(config) == [Rung(0.02, 0.25), Rung(0.05, 0.5)]
    assert ladder_from_config({}) == []
    assert ladder_from_config({CONFIG_KEY: [{"profit": 0.1, "exit_share": 3}]}) == [Rung(0.1, 1)]


@pytest.mark.parametrize("name", ["SandboxScalp1m", "EmaRsiStrategy", "SafeDefaultStrategy"])
def test_bundled_strategies_carry_the_ladder(name: str, tmp_path: Path) -> None:
    strategy = load(name, tmp_path, position_adjustment_enable=True, **{CONFIG_KEY: LADDER})
    assert strategy.position_adjustment_enable is True  # the config key reached the strategy
    assert adjust(strategy, trade(), 0.021) == (-25.0, "take_profit_1")


def test_one_rung_per_filled_exit_in_order(tmp_path: Path) -> None:
    strategy = load("SandboxScalp1m", tmp_path, **{CONFIG_KEY: LADDER})
    assert adjust(strategy, trade(), 0.019) is None  # below the first rung
    assert adjust(strategy, trade(), 0.08) == (-25.0, "take_profit_1")  # one rung at a time
    first_sold = trade(order("sell", 0.25))
    assert adjust(strategy, first_sold, 0.03) is None
    assert adjust(strategy, first_sold, 0.05) == (-50.0, "take_profit_2")
    # An exit order still open: wait for it, never stack a second one.
    assert adjust(strategy, trade(order("sell", 0.25, is_open=True)), 0.08) is None
    # Every rung done: the rest is the ROI's (the top level), not the ladder's.
    assert adjust(strategy, trade(order("sell", 0.25), order("sell", 0.375)), 0.5) is None


def test_a_remainder_below_the_minimum_stake_is_sold_too(tmp_path: Path) -> None:
    strategy = load("SandboxScalp1m", tmp_path, **{CONFIG_KEY: LADDER})
    assert adjust(strategy, trade(), 0.03, min_stake=80.0) == (-100.0, "take_profit_1")


def test_without_a_ladder_nothing_is_sold(tmp_path: Path) -> None:
    strategy = load("SandboxScalp1m", tmp_path)
    assert adjust(strategy, trade(), 0.5) is None
