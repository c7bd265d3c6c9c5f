"""Validation of a strategy before it is published: a limited child process that compiles,
imports and loads it the way FreqTrade does, then runs a short backtest on sandbox candles.

`python -m runtime.strategycheck --dir DIR --strategy CLASS --market-url URL` prints the
report as one JSON object; `check` (async) and `run_check` are the same for Python callers.
Only the child imports FreqTrade: importing this package costs the caller nothing.
"""

from runtime.strategycheck.report import KINDS, Failure, Kind, Limits, Report, Signals
from runtime.strategycheck.runner import check, run_check

__all__ = ["KINDS", "Failure", "Kind", "Limits", "Report", "Signals", "check", "run_check"]
