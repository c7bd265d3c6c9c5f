"""Step 4 of a check, in the child: a short FreqTrade backtest on sandbox candles.

The config is a dry spot config staking USDT with the pool's own `exchange` block
(`runtime.exchange.exchange_block`: ccxt binance with every API URL pointed at the sandbox),
read through FreqTrade's `setup_optimize_configuration` as `freqtrade backtesting` does.
Candles are fetched by FreqTrade's own download path (`refresh_data`) into a temporary
datadir in its feather format, then `Backtesting` runs the strategy on them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.exchange import ExchangeSpec, exchange_block
from runtime.strategycheck.job import STAKE_CURRENCY, Job
from runtime.strategycheck.loading import Refused, failure
from runtime.strategycheck.report import Failure, Signals

DATA_FORMAT = "feather"
WALLET = 1000
STAKE_AMOUNT = 100
MAX_OPEN_TRADES = 3
MAX_CALLBACK_ERRORS = 5


@dataclass(frozen=True)
class Window:
    """The candles a check backtests on: `candles` closed candles up to the last full one."""

    timeframe: str
    start: int  # epoch seconds of the first backtested candle
    end: int
    startup: int  # candles before `start` the strategy needs to warm up

    @classmethod
    def last(cls, timeframe: str, candles: int, startup: int, now: float) -> Window:
        from freqtrade.exchange import timeframe_to_seconds

        step = timeframe_to_seconds(timeframe)
        end = int(now) // step * step - step
        return cls(timeframe, end - candles * step, end, startup)

    @property
    def timerange(self) -> str:
        return f"{self.start}-{self.end}"

    @property
    def download_timerange(self) -> str:
        from freqtrade.exchange import timeframe_to_seconds

        return (
            f"{self.start - (self.startup + 1) * timeframe_to_seconds(self.timeframe)}-{self.end}"
        )


def config_file(job: Job, workdir: Path) -> dict[str, Any]:
    """The dry spot config the backtest reads (everything `freqtrade backtesting` needs)."""
    config: dict[str, Any] = {
        "dry_run": True,
        "dry_run_wallet": WALLET,
        "trading_mode": "spot",
        "stake_currency": STAKE_CURRENCY,
        "stake_amount": STAKE_AMOUNT,
        "tradable_balance_ratio": 0.99,
        "max_open_trades": MAX_OPEN_TRADES,
        "fiat_display_currency": "",
        "entry_pricing": {"price_side": "same", "use_order_book": False, "price_last_balance": 0},
        "exit_pricing": {"price_side": "same", "use_order_book": False},
        "exchange": exchange_block(ExchangeSpec("binance", job.market_url), list(job.pairs)),
        "pairlists": [{"method": "StaticPairList"}],
        "user_data_dir": str(workdir / "user_data"),
        "datadir": str(workdir / "data"),
        "dataformat_ohlcv": DATA_FORMAT,
        "db_url": "sqlite://",
        "export": "none",
        "backtest_cache": "none",
        "telegram": {"enabled": False, "token": "", "chat_id": ""},
        "internals": {},
    }
    if job.timeframe is not None:
        config["timeframe"] = job.timeframe
    return config


def freqtrade_config(job: Job, directory: Path, window: Window, workdir: Path) -> dict[str, Any]:
    """The config as FreqTrade builds it for a backtest, from the file and the arguments."""
    from freqtrade.commands.optimize_commands import setup_optimize_configuration
    from freqtrade.enums import RunMode

    (workdir / "user_data").mkdir(exist_ok=True)
    path = workdir / "config.json"
    path.write_text(json.dumps(config_file(job, workdir), indent=2), encoding="utf-8")
    args = {
        "config": [str(path)],
        "strategy": job.strategy,
        "strategy_path": str(directory),
        "timerange": window.timerange,
    }
    config: dict[str, Any] = setup_optimize_configuration(args, RunMode.BACKTEST)
    return config


class CallbackErrors(logging.Handler):
    """Collects the errors FreqTrade's strategy_safe_wrapper logs and carries on from.

    A callback that raises (custom_stoploss, adjust_trade_position, ...) does not stop a
    backtest or a bot: FreqTrade logs it and uses a default. It is still broken code.
    """

    def __init__(self, directory: Path) -> None:
        super().__init__(logging.WARNING)
        self.directory = directory
        self.failures: list[Failure] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.failures) >= MAX_CALLBACK_ERRORS:
            return
        message = record.getMessage().splitlines()[0]
        if record.exc_info and record.exc_info[1] is not None:
            found = failure("runtime", record.exc_info[1], self.directory, "a callback raised")
            self.failures.append(Failure("runtime", found.message, found.file, found.line))
        else:  # a ValueError: logged with the function and line in the text only
            self.failures.append(Failure("runtime", message))


def _count(frame: Any, column: str) -> int:
    return int((frame[column] == 1).sum()) if column in frame.columns else 0


def run_backtest(
    config: dict[str, Any], directory: Path, window: Window, market_url: str
) -> tuple[int, Signals]:
    """Download the window's candles, backtest, and count trades and signal candles."""
    from freqtrade.configuration import TimeRange
    from freqtrade.data.converter import trim_dataframe
    from freqtrade.data.history import refresh_data
    from freqtrade.enums import CandleType
    from freqtrade.optimize.backtesting import Backtesting
    from freqtrade.resolvers import ExchangeResolver

    try:
        exchange = ExchangeResolver.load_exchange(config, load_leverage_tiers=True)
        refresh_data(
            datadir=Path(config["datadir"]),
            timeframe=window.timeframe,
            pairs=list(config["exchange"]["pair_whitelist"]),
            exchange=exchange,
            data_format=DATA_FORMAT,
            timerange=TimeRange.parse_timerange(window.download_timerange),
            candle_type=CandleType.SPOT,
        )
    except Exception as exc:
        context = f"fetching candles from the exchange at {market_url}"
        raise Refused(failure("backtest", exc, directory, context)) from exc

    callbacks = CallbackErrors(directory)
    wrapper_log = logging.getLogger("freqtrade.strategy.strategy_wrapper")
    wrapper_log.addHandler(callbacks)
    try:
        backtesting = Backtesting(config, exchange=exchange)
        data, timerange = backtesting.load_bt_data()
        strategy = backtesting.strategylist[0]
        backtesting.backtest_one_strategy(strategy, data, timerange)
        trades = len(backtesting.all_bt_content[strategy.get_strategy_name()]["results"])
        enter = exit_ = 0
        for pair, frame in data.items():
            analyzed = strategy.advise_all_indicators({pair: frame})[pair]
            analyzed = strategy.ft_advise_signals(analyzed, {"pair": pair})
            analyzed = trim_dataframe(analyzed, timerange, startup_candles=window.startup)
            enter += _count(analyzed, "enter_long")
            exit_ += _count(analyzed, "exit_long")
    finally:
        wrapper_log.removeHandler(callbacks)
    if callbacks.failures:
        raise Refused(*callbacks.failures)
    return trades, Signals(enter, exit_)
