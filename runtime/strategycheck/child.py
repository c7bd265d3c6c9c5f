"""The check process: `python -m runtime.strategycheck.child WORKDIR` (started by the parent).

It limits itself first (CPU seconds and address space with setrlimit, no core files, killed
with its parent; FreqTrade is imported before the address space is limited), then runs the
steps and writes `WORKDIR/report.json`. A step that fails ends the check with a report
saying why; a limit that kills the process leaves no report, and the parent writes that one.
"""

from __future__ import annotations

import copy
import ctypes
import importlib
import json
import resource
import signal
import sys
import time
from pathlib import Path

from runtime.strategycheck.job import Job
from runtime.strategycheck.loading import (
    Refused,
    check_required,
    compile_all,
    failure,
    import_strategy_class,
    load_strategy,
    where,
)
from runtime.strategycheck.report import Failure, Kind, Report, Signals

JOB_FILE = "job.json"
REPORT_FILE = "report.json"
PR_SET_PDEATHSIG = 1
# Kept until a MemoryError, then freed so the report can still be written.
_RESERVE_BYTES = 16 * 1024 * 1024


# What every check imports anyway: loaded before the memory limit is set, so the limit is
# what the strategy may add, whatever FreqTrade and its libraries take (about 600 MB).
PRELOAD = (
    "freqtrade.commands.optimize_commands",
    "freqtrade.data.history",
    "freqtrade.optimize.backtesting",
    "freqtrade.resolvers",
    "talib.abstract",
    "technical.qtpylib",
)


def _address_space() -> int:
    """Bytes of address space this process holds now (VmSize), 0 where /proc has no answer."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def apply_limits(job: Job) -> None:
    """CPU: SIGXCPU at the limit (SIGKILL 2 s later); memory: the address space on top of
    FreqTrade's own; no core files; die with the parent."""
    cpu = job.limits.cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    for module in PRELOAD:
        importlib.import_module(module)
    memory = _address_space() + job.limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _steps(job: Job, workdir: Path) -> tuple[int, Signals]:
    from runtime.strategycheck.backtest import Window, freqtrade_config, run_backtest

    directory = job.directory.resolve()
    classes = compile_all(directory)
    found = import_strategy_class(directory, job.strategy, classes)
    check_required(found, job.timeframe)
    timeframe = job.timeframe or str(found.cls.timeframe)
    startup = int(getattr(found.cls, "startup_candle_count", 0) or 0)
    window = Window.last(timeframe, job.candles, startup, time.time())
    try:
        config = freqtrade_config(job, directory, window, workdir)
    except Exception as exc:
        raise Refused(failure("backtest", exc, directory, "FreqTrade refuses the config")) from exc
    load_strategy(copy.deepcopy(config), directory)
    try:
        return run_backtest(config, directory, window, job.market_url)
    except (Refused, MemoryError):
        raise
    except (Exception, SystemExit) as exc:  # strategy code may call sys.exit() too
        kind: Kind = "backtest" if where(exc, directory) is None else "runtime"
        raise Refused(failure(kind, exc, directory, "the backtest raised")) from exc


def run(job: Job, workdir: Path) -> Report:
    """Every step in order; the first that refuses ends the check."""
    reserve = bytearray(_RESERVE_BYTES)
    started = time.monotonic()
    trades, signals = 0, Signals()
    errors: tuple[Failure, ...] = ()
    try:
        trades, signals = _steps(job, workdir)
    except Refused as refused:
        errors = refused.failures
    except MemoryError as exc:
        del reserve
        errors = (failure("memory", exc, job.directory.resolve(), "out of memory"),)
    except Exception as exc:  # a defect of the check itself: still a report, never a traceback
        errors = (Failure("backtest", f"the check failed: {type(exc).__name__}: {exc}"),)
    return Report(
        strategy=job.strategy,
        limits=job.limits,
        errors=tuple(errors),
        trades=trades,
        signals=signals,
        duration_s=time.monotonic() - started,
    )


def main(argv: list[str]) -> int:
    workdir = Path(argv[1])
    job = Job.read(workdir / JOB_FILE)
    apply_limits(job)
    report = run(job, workdir)
    temporary = workdir / (REPORT_FILE + ".tmp")
    temporary.write_text(json.dumps(report.to_dict()), encoding="utf-8")
    temporary.replace(workdir / REPORT_FILE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
