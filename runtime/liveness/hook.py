"""Bot child side: report a heartbeat, then publish a summary, after every loop pass.

An optional `after_pass` callback runs last (runtime/priority.py lowers the bot's CPU
priority after its first pass).

Wraps `FreqtradeBot.process` (a pass while trading) and `process_stopped` (a pass while
FreqTrade is paused through its API, so a paused bot is not taken for a stuck one). Patching
the class is fine here: one bot per process. A failing heartbeat or summary never breaks the
loop; each failure is logged once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.liveness.heartbeat import Heartbeat, write_heartbeat
from runtime.summary.files import SummaryPaths
from runtime.summary.publish import SummaryPublisher

logger = logging.getLogger(__name__)

DEFAULT_THROTTLE_SECONDS = 5.0


def _figures(bot: Any) -> tuple[int, int, float]:
    from freqtrade.persistence import Trade

    pairs = len(getattr(bot, "active_pair_whitelist", ()) or ())
    return pairs, int(Trade.get_open_trade_count()), float(Trade.get_total_closed_profit())


class _Once:
    """Logs the first failure of one kind of write only: a broken disk must not flood the log."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failed = False

    def report(self) -> None:
        if not self.failed:
            logger.exception("could not write the %s", self.what)
            self.failed = True


def _wrap(
    original: Callable[[Any], None],
    path: Path,
    state: str,
    publisher: SummaryPublisher | None,
    after_pass: Callable[[Any], None] | None = None,
) -> Callable[[Any], None]:
    beat_failure, summary_failure = _Once(f"heartbeat to {path}"), _Once("summary")
    after_failure = _Once("after-pass callback's work")

    def beat(self: Any) -> None:
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
            beat_failure.report()
        if publisher is not None:
            try:
                publisher.publish(self, state)
            except Exception:
                summary_failure.report()
        if after_pass is not None:
            try:
                after_pass(self)
            except Exception:
                after_failure.report()

    return beat


def install(
    path: str,
    summary_folder: str | None = None,
    after_pass: Callable[[Any], None] | None = None,
) -> None:
    """Make every FreqTrade loop pass of this process write the heartbeat `path` and, with
    `summary_folder`, publish the bot's summary there (runtime/summary/); then call
    `after_pass(bot)`."""
    from freqtrade.freqtradebot import FreqtradeBot

    target = Path(path)
    publisher = (
        None
        if summary_folder is None
        else SummaryPublisher(SummaryPaths.in_folder(Path(summary_folder)), os.getpid())
    )
    FreqtradeBot.process = _wrap(FreqtradeBot.process, target, "running", publisher, after_pass)
    FreqtradeBot.process_stopped = _wrap(
        FreqtradeBot.process_stopped, target, "stopped", publisher, after_pass
    )
