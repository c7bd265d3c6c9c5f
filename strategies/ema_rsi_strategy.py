"""EmaRsiStrategy: the frontend's default 15-minute EMA 10/21 trend strategy with an RSI filter."""

from __future__ import annotations

import talib.abstract as ta
from freqtrade.strategy import IStrategy
from pandas import DataFrame
from technical import qtpylib

from strategies.take_profit_ladder import TakeProfitLadder


class EmaRsiStrategy(TakeProfitLadder, IStrategy):  # type: ignore[misc]  # freqtrade is untyped
    """Rides short uptrends: long while EMA 10 is above EMA 21 unless RSI 14 is overbought.

    The conventional strategy users pick by default: enter when the fast EMA is above the slow
    one and RSI 14 is under `entry_rsi_max`; exit when the fast EMA crosses below the slow
    one, or by the ROI table (15 %, then 5 % after an hour, 2 % after two) or the 10 % stop.
    """

    INTERFACE_VERSION = 3
    can_short = False
    timeframe = "15m"
    startup_candle_count = 50
    process_only_new_candles = True

    minimal_roi = {"0": 0.15, "60": 0.05, "120": 0.02}
    stoploss = -0.10
    trailing_stop = False
    use_exit_signal = True

    entry_rsi_max = 70

    def populate_indicators(self, dataframe: DataFrame, metadata: dict[str, str]) -> DataFrame:
        """EMA 10, EMA 21 and RSI 14 of the close."""
        dataframe["ema_fast"] = ta.EMA(dataframe, timeperiod=10)
        dataframe["ema_slow"] = ta.EMA(dataframe, timeperiod=21)
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict[str, str]) -> DataFrame:
        """Enter in an uptrend (fast EMA above slow) that is not overbought."""
        dataframe.loc[
            (dataframe["ema_fast"] > dataframe["ema_slow"])
            & (dataframe["rsi"] < self.entry_rsi_max)
            & (dataframe["volume"] > 0),
            ["enter_long", "enter_tag"],
        ] = (1, "ema_trend")
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict[str, str]) -> DataFrame:
        """Exit when the fast EMA crosses below the slow one."""
        dataframe.loc[
            qtpylib.crossed_below(dataframe["ema_fast"], dataframe["ema_slow"])
            & (dataframe["volume"] > 0),
            "exit_long",
        ] = 1
        return dataframe
