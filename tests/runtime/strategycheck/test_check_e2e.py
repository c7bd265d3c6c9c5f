"""Whole checks against the sandbox exchange: what must pass, what must be refused, and why."""

from __future__ import annotations

import time

import pytest

from runtime.strategycheck import Limits, Report, check, run_check
from tests.runtime.strategycheck.conftest import (
    FIXTURES,
    SHIPPED,
    UNREACHABLE_MARKET,
    StrategyFolder,
)

pytestmark = pytest.mark.e2e


def passed(report: Report) -> Report:
    assert report.passed, report.to_dict()
    assert report.freqtrade_version and 0 < report.duration_s < 30
    return report


@pytest.mark.parametrize("name", ["EmaRsiStrategy", "SandboxScalp1m"])
def test_shipped_strategies_with_the_take_profit_ladder_pass(name: str, sandbox_url: str) -> None:
    report = passed(run_check(SHIPPED, name, sandbox_url))
    assert report.trades > 0
    assert report.signals.enter_long > 0 and report.signals.exit_long > 0


def test_the_safe_default_passes_without_a_trade(sandbox_url: str) -> None:
    report = passed(run_check(SHIPPED, "SafeDefaultStrategy", sandbox_url))
    assert (report.trades, report.signals.enter_long, report.signals.exit_long) == (0, 0, 0)


@pytest.mark.parametrize(
    "name",
    [
        "MyStrategy",  # in balancedStrat.py
        "EnhancedRiskManagedStrategy",  # custom stoploss and stake, confirm_trade_entry
        "DCAStrategy",  # adjust_trade_position
        "TrendFollowFast",  # shares trend_base.py with TrendFollowSlow
        "TrendFollowSlow",
    ],
)
def test_realistic_user_strategies_pass(name: str, sandbox_url: str) -> None:
    report = passed(run_check(FIXTURES, name, sandbox_url))
    assert report.trades > 0 and report.signals.enter_long > 0


async def test_the_async_check_with_other_pairs_timeframe_and_candles(sandbox_url: str) -> None:
    report = passed(
        await check(
            FIXTURES, "MyStrategy", sandbox_url, pairs=["SOL/USDT"], timeframe="5m", candles=200
        )
    )
    assert report.signals.enter_long + report.signals.exit_long <= 200


def test_a_strategy_that_raises_in_populate(
    strategy_folder: StrategyFolder, sandbox_url: str
) -> None:
    folder = strategy_folder(indicators="dataframe['rsi'] = dataframe['rsi_14'] * 2")
    report = run_check(folder, "Probe", sandbox_url)
    (error,) = report.errors
    assert (error.kind, error.file, error.line) == ("runtime", "my_strategy.py", 12)
    assert "Probe.populate_indicators" in error.message and "KeyError" in error.message


def test_a_callback_that_raises_is_refused_although_freqtrade_carries_on(
    strategy_folder: StrategyFolder, sandbox_url: str
) -> None:
    folder = strategy_folder(
        attributes="use_custom_stoploss = True\n",
        methods="""
        def custom_stoploss(self, pair, trade, current_time, current_rate, current_profit,
                            **kwargs):
            return 1 / 0
        """,
    )
    report = run_check(folder, "Probe", sandbox_url)
    assert not report.passed
    assert {error.kind for error in report.errors} == {"runtime"}
    first = report.errors[0]
    assert (first.file, first.line) == ("my_strategy.py", 26)  # return 1 / 0
    assert "ZeroDivisionError" in first.message and "custom_stoploss" in first.message


def test_a_strategy_that_loops_forever_times_out(
    strategy_folder: StrategyFolder, sandbox_url: str
) -> None:
    folder = strategy_folder(indicators="while dataframe is not None:\n    pass")
    started = time.monotonic()
    report = run_check(folder, "Probe", sandbox_url, limits=Limits(wall_seconds=8))
    assert time.monotonic() - started < 8 + 2
    assert [error.kind for error in report.errors] == ["timeout"]


def test_a_strategy_that_exhausts_memory(strategy_folder: StrategyFolder, sandbox_url: str) -> None:
    folder = strategy_folder(
        indicators="""
        hog = []
        while True:
            hog.append(dataframe["close"].to_numpy().repeat(100_000))
        """
    )
    report = run_check(folder, "Probe", sandbox_url, limits=Limits(memory_mb=300))
    (error,) = report.errors
    assert (error.kind, error.file, error.line) == ("memory", "my_strategy.py", 15)  # append


def test_an_unreachable_exchange_is_a_backtest_error(strategy_folder: StrategyFolder) -> None:
    report = run_check(strategy_folder(), "Probe", UNREACHABLE_MARKET)
    (error,) = report.errors
    assert error.kind == "backtest" and "fetching candles" in error.message
