"""The FreqTrade config keys a bot's risk settings and features set (no I/O).

Only what FreqTrade has a setting for reaches the bot (docs/risk-settings.md); the service
that stores and applies them is gateway/services/risk/settings.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strategies.take_profit_ladder import CONFIG_KEY as LADDER_KEY


def stoploss_for(risk_level: float) -> float:
    """Risk level 0..100 scaled linearly onto a stoploss of -2 % .. -20 % (50 -> -11 %)."""
    return -round(0.02 + 0.18 * risk_level / 100, 6)


def _ratio(percent: float) -> float:
    return round(percent / 100, 6)


def take_profit_overrides(take_profit: Mapping[str, Any], *, ladder: bool) -> dict[str, Any]:
    """`single`: the first level closes the trade (ROI). `ladder`: partial exits, top closes.

    A ladder's levels are sorted by profit; every level below the top sells its `exitPercent`
    of what is still open through the strategy's TakeProfitLadder (position adjustment), and
    FreqTrade's ROI closes the rest at the top level (strategies/take_profit_ladder.py). A
    strategy without the mixin (`ladder` false) gets the top level only: position adjustment
    is never switched on for a strategy that may have its own (DCA) use for it.
    """
    levels = take_profit["levels"]
    if not take_profit["enabled"] or not levels:
        return {}
    if take_profit["mode"] == "single" or len(levels) == 1:
        return {"minimal_roi": {"0": _ratio(levels[0]["percentage"])}}
    ordered = sorted(levels, key=lambda level: level["percentage"])
    top = {"minimal_roi": {"0": _ratio(ordered[-1]["percentage"])}}
    if not ladder:
        return top
    rungs = [
        {"profit": _ratio(level["percentage"]), "exit_share": _ratio(level["exitPercent"])}
        for level in ordered[:-1]
    ]
    return {**top, "position_adjustment_enable": True, LADDER_KEY: rungs}


def freqtrade_overrides(
    settings: Mapping[str, Any], features: Mapping[str, Any], *, paused: bool, ladder: bool
) -> dict[str, Any]:
    """The FreqTrade config keys these settings set; the complete set, never a delta.

    `ladder`: the bot's strategy sells at take-profit rungs (market.has_ladder).
    """
    overrides: dict[str, Any] = {"stoploss": stoploss_for(settings["riskLevel"])}
    trailing = features["trailingStop"]
    if trailing["enabled"]:
        overrides.update(
            trailing_stop=True,
            trailing_stop_positive=round(trailing["callbackRate"] / 100, 6),
            trailing_stop_positive_offset=round(trailing["activationPercent"] / 100, 6),
            trailing_only_offset_is_reached=trailing["lockInProfit"],
        )
    else:
        overrides["trailing_stop"] = False
    overrides.update(take_profit_overrides(features["takeProfitLevels"], ladder=ladder))
    if paused:
        overrides["initial_state"] = "paused"
    return overrides
