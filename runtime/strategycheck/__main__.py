"""`python -m runtime.strategycheck`: check one strategy, print its report as JSON.

Exits 0 whether the strategy passed or not (the report says which); 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from runtime.strategycheck.job import DEFAULT_CANDLES, DEFAULT_PAIRS, STAKE_CURRENCY
from runtime.strategycheck.report import Limits
from runtime.strategycheck.runner import run_check

_CLASS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TIMEFRAME = re.compile(r"^[1-9][0-9]*[mhdwM]$")
_PAIR = re.compile(rf"^[A-Z0-9]+/{STAKE_CURRENCY}$")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m runtime.strategycheck",
        description="Validate a FreqTrade strategy in a limited process; print a JSON report.",
    )
    parser.add_argument("--dir", required=True, type=Path, help="folder of the strategy files")
    parser.add_argument("--strategy", required=True, help="the IStrategy class name")
    parser.add_argument("--market-url", required=True, help="base URL of the sandbox exchange")
    parser.add_argument(
        "--pairs",
        default=",".join(DEFAULT_PAIRS),
        help=f"comma-separated {STAKE_CURRENCY} pairs to backtest (default %(default)s)",
    )
    parser.add_argument("--timeframe", help="default: the strategy's own")
    parser.add_argument("--candles", type=int, default=DEFAULT_CANDLES, help="candles per pair")
    parser.add_argument("--cpu-seconds", type=int, default=Limits.cpu_seconds)
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb)
    parser.add_argument("--wall-seconds", type=float, default=Limits.wall_seconds)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    pairs = [pair.strip() for pair in args.pairs.split(",") if pair.strip()]
    if not args.dir.is_dir():
        parser.error(f"--dir {args.dir} is not a folder")
    if not _CLASS_NAME.match(args.strategy):
        parser.error(f"--strategy {args.strategy!r} is not a class name")
    if urlsplit(args.market_url).scheme not in ("http", "https"):
        parser.error(f"--market-url {args.market_url!r} is not an http(s) URL")
    if not pairs or not all(_PAIR.match(pair) for pair in pairs):
        parser.error(f"--pairs must be BASE/{STAKE_CURRENCY} pairs, got {args.pairs!r}")
    if args.timeframe is not None and not _TIMEFRAME.match(args.timeframe):
        parser.error(f"--timeframe {args.timeframe!r} is not a timeframe such as 5m or 1h")
    if not 10 <= args.candles <= 5000:
        parser.error("--candles must be between 10 and 5000")
    try:
        limits = Limits(args.cpu_seconds, args.memory_mb, args.wall_seconds)
    except ValueError as exc:
        parser.error(str(exc))
    report = run_check(
        args.dir,
        args.strategy,
        args.market_url,
        limits=limits,
        pairs=pairs,
        timeframe=args.timeframe,
        candles=args.candles,
    )
    print(json.dumps(report.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
