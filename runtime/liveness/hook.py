"""Bot child side: report a heartbeat after every pass of FreqTrade's loop.

Wraps `FreqtradeBot.process` (a pass while trading) and `process_stopped` (a pass while
FreqTrade is paused through its API, so a paused bot is not taken for a stuck one). Patching
the class is fine here: one bot per process. A failing heartbeat never breaks the loop.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.liveness.heartbeat import Heartbeat, write_heartbeat

logger = logging.getLogger(__name__)

DEFAULT_THROTTLE_SECONDS = 5.0


def _figures(bot: Any) -> tuple[int, int, float]:
    from freqtrade.persistence import Trade

    pairs = len(getattr(bot, "active_pair_whitelist", ()) or ())
    return pairs, int(Trade.get_open_trade_count()), float(Trade.get_total_closed_profit())


def _wrap(original: Callable[[Any], None], path: Path, state: str) -> Callable[[Any], None]:
    failed = False

    def beat(self: Any) -> None:
        nonlocal failed
        started = time.monotonic()
        original(self)
        try:
            pairs, open_trades, profit = _figures(self)
            internals = self.config.get("internals", {})
            throttle = float(internals.get("process_throttle_secs", DEFAULT_THROTTLE_SECONDS))
            write_heartbeat(
                path,
                Heartbeat(
                    at=time.time(),
                    loop_s=round(time.monotonic() - started, 4),
                    pairs=pairs,
                    open_trades=open_trades,
                    closed_profit=profit,
                    throttle_s=throttle,
                    state=state,
                    pid=os.getpid(),
                ),
            )
        except Exception:
            if not failed:  # once: a broken disk must not flood the log every pass
                logger.exception("could not write the heartbeat to %s", path)
                failed = True

    return beat


def install(path: str) -> None:
    """Make every FreqTrade loop pass of this process write `path`."""
    from freqtrade.freqtradebot import FreqtradeBot

    target = Path(path)
    FreqtradeBot.process = _wrap(FreqtradeBot.process, target, "running")
    FreqtradeBot.process_stopped = _wrap(FreqtradeBot.process_stopped, target, "stopped")
