"""SafeDefaultStrategy: a 1-hour strategy that never trades, the fallback for a bot."""

from __future__ import annotations

from freqtrade.strategy import IStrategy
from pandas import DataFrame

from strategies.take_profit_ladder import TakeProfitLadder


class SafeDefaultStrategy(TakeProfitLadder, IStrategy):  # type: ignore[misc]  # freqtrade is untyped
    """Keeps a bot running and following the market without ever opening a trade.

    For a bot whose chosen strategy is missing or broken: it still starts, answers its API and
    shows prices, but cannot lose its users' (paper) money.
    """

    INTERFACE_VERSION = 3
    can_short = False
    timeframe = "1h"
    startup_candle_count = 0
    process_only_new_candles = True

    # Never reached: there are no entries. FreqTrade still requires both to be set.
    minimal_roi = {"0": 100.0}
    stoploss = -0.99

    def populate_indicators(self, dataframe: DataFrame, metadata: dict[str, str]) -> DataFrame:
        """No indicators are needed."""
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict[str, str]) -> DataFrame:
        """Never enters."""
        dataframe["enter_long"] = 0
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict[str, str]) -> DataFrame:
        """Never signals an exit (there is nothing to exit)."""
        dataframe["exit_long"] = 0
        return dataframe
