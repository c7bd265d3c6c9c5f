"""Partial take-profit exits at the rungs the gateway writes into a bot's config.

The frontend's take-profit ladder (`takeProfitLevels`, mode `ladder`) sells part of a
position at each profit level. FreqTrade has no config setting for that, but it has position
adjustment: a strategy's `adjust_trade_position` may return a negative stake to sell part of
an open trade. The gateway (gateway/services/risk/settings.py) turns the ladder into

* `take_profit_ladder`: the lower rungs, `[{"profit": 0.02, "exit_share": 0.25}, ...]`;
* `position_adjustment_enable: true`, so FreqTrade calls `adjust_trade_position`;
* `minimal_roi: {"0": <top level>}`: FreqTrade's ROI closes whatever remains at the top level.

A strategy opts in by inheriting `TakeProfitLadder` before `IStrategy`; the bundled
strategies do. A strategy without it still closes at the top level (ROI), without the partial
exits below it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CONFIG_KEY = "take_profit_ladder"


@dataclass(frozen=True)
class Rung:
    """Sell `exit_share` of what is still open once the profit ratio reaches `profit`."""

    profit: float  # 0.02 = +2 % over the average entry price
    exit_share: float  # 0 < share <= 1, of the position still open at that moment


def ladder_from_config(config: Mapping[str, Any]) -> list[Rung]:
    """The config's rungs, lowest profit first; rungs that would sell nothing are dropped."""
    rungs = [
        Rung(float(raw["profit"]), min(1.0, float(raw["exit_share"])))
        for raw in config.get(CONFIG_KEY) or []
    ]
    return sorted((r for r in rungs if r.exit_share > 0), key=lambda r: r.profit)


class TakeProfitLadder:
    """Mixin for an `IStrategy`: one partial exit per rung, in order, one rung per loop.

    The n-th rung fires when the trade has n - 1 filled exits, no open order, and its profit
    at the exit price reaches the rung. When the part left after a rung would be below the
    exchange's minimum stake, the rung sells everything instead (FreqTrade would refuse the
    partial exit on every loop otherwise).
    """

    config: dict[str, Any]  # set by IStrategy.__init__

    def adjust_trade_position(
        self,
        trade: Any,
        current_time: Any,
        current_rate: float,
        current_profit: float,
        min_stake: float | None,
        max_stake: float,
        current_entry_rate: float,
        current_exit_rate: float,
        current_entry_profit: float,
        current_exit_profit: float,
        **kwargs: Any,
    ) -> tuple[float, str] | None:
        """A negative stake (the part to sell) and an order tag, or None."""
        rungs = ladder_from_config(self.config)
        done = int(trade.nr_of_successful_exits)
        if done >= len(rungs) or trade.has_open_orders:
            return None
        rung = rungs[done]
        if current_exit_profit < rung.profit:
            return None
        share = rung.exit_share
        if share < 1 and min_stake and trade.stake_amount * (1 - share) < min_stake:
            share = 1.0
        return -float(trade.stake_amount) * share, f"take_profit_{done + 1}"
