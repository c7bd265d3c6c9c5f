"""The parent side of a check: start the child, hold it to its wall time, read its report.

The child runs in its own session (so its own process group) and limits its own CPU time
and address space. The parent kills the whole group at the wall limit, and always at the
end (a strategy may start processes of its own). When the child dies without a report (a
limit killed it), the parent writes the report: "timeout", "cpu" or "memory".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from runtime.strategycheck.child import JOB_FILE, REPORT_FILE
from runtime.strategycheck.job import DEFAULT_CANDLES, DEFAULT_PAIRS, Job
from runtime.strategycheck.report import Failure, Limits, Report

DEFAULT_LIMITS = Limits()
LOG_FILE = "check.log"
POLL_SECONDS = 0.25
LOG_TAIL_CHARS = 1500
# Fewer threads and malloc arenas: each reserves address space the memory limit counts.
CHILD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
    "PYTHONDONTWRITEBYTECODE": "1",  # never write __pycache__ into the checked folder
    "PYTHONUNBUFFERED": "1",
}


def _cpu_seconds(pid: int) -> float | None:
    """CPU time the process has used so far, from /proc (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _log_tail(workdir: Path) -> str:
    try:
        text = (workdir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-LOG_TAIL_CHARS:].strip()


def _signal_name(returncode: int) -> str:
    if returncode >= 0:
        return f"exit status {returncode}"
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def outcome(
    job: Job, workdir: Path, returncode: int, *, timed_out: bool, cpu_used: float, elapsed: float
) -> Report:
    """The report of a finished child: its own, or the parent's when a limit killed it."""
    limits = job.limits
    if timed_out:
        failure = Failure(
            "timeout", f"still running after the wall limit of {limits.wall_seconds:g} s: killed"
        )
    elif returncode == 0 and (workdir / REPORT_FILE).exists():
        report = Report.from_dict(json.loads((workdir / REPORT_FILE).read_text(encoding="utf-8")))
        return replace(report, duration_s=elapsed)
    elif returncode == -signal.SIGXCPU or (
        returncode == -signal.SIGKILL and cpu_used >= limits.cpu_seconds - 1
    ):
        failure = Failure("cpu", f"used up the CPU limit of {limits.cpu_seconds} s: killed")
    elif returncode == -signal.SIGKILL or "MemoryError" in _log_tail(workdir):
        failure = Failure(
            "memory",
            f"ran out of memory (limit {limits.memory_mb} MB), {_signal_name(returncode)}",
        )
    else:
        failure = Failure(
            "runtime",
            f"the check process died ({_signal_name(returncode)}): {_log_tail(workdir)}",
        )
    return Report(strategy=job.strategy, limits=limits, errors=(failure,), duration_s=elapsed)


def _job(
    directory: Path,
    strategy: str,
    market_url: str,
    limits: Limits,
    pairs: Iterable[str],
    timeframe: str | None,
    candles: int,
) -> Job:
    # Resolved here: the child runs in its own folder.
    folder = Path(directory).resolve()
    return Job(folder, strategy, market_url.rstrip("/"), tuple(pairs), timeframe, candles, limits)


def command(workdir: Path) -> list[str]:
    return [sys.executable, "-m", "runtime.strategycheck.child", str(workdir)]


async def check(
    directory: Path,
    strategy: str,
    market_url: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    pairs: Iterable[str] = DEFAULT_PAIRS,
    timeframe: str | None = None,
    candles: int = DEFAULT_CANDLES,
) -> Report:
    """Check the strategy class `strategy` in `directory` in a limited child process."""
    job = _job(directory, strategy, market_url, limits, pairs, timeframe, candles)
    with tempfile.TemporaryDirectory(prefix="strategycheck-") as temporary:
        workdir = Path(temporary)
        job.write(workdir / JOB_FILE)
        started = time.monotonic()
        timed_out, cpu_used = False, 0.0
        with (workdir / LOG_FILE).open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *command(workdir),
                cwd=workdir,
                env={**os.environ, **CHILD_ENV},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                while True:
                    remaining = started + limits.wall_seconds - time.monotonic()
                    if remaining <= 0:
                        timed_out = True
                        break
                    try:
                        await asyncio.wait_for(process.wait(), min(POLL_SECONDS, remaining))
                        break
                    except TimeoutError:
                        cpu_used = _cpu_seconds(process.pid) or cpu_used
            finally:
                _kill_group(process.pid)
                await process.wait()
        assert process.returncode is not None  # noqa: S101 - waited for just above
        return outcome(
            job,
            workdir,
            process.returncode,
            timed_out=timed_out,
            cpu_used=cpu_used,
            elapsed=time.monotonic() - started,
        )


def run_check(
    directory: Path,
    strategy: str,
    market_url: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    pairs: Iterable[str] = DEFAULT_PAIRS,
    timeframe: str | None = None,
    candles: int = DEFAULT_CANDLES,
) -> Report:
    """`check` for callers without an event loop (the command line, scripts)."""
    return asyncio.run(
        check(
            directory,
            strategy,
            market_url,
            limits=limits,
            pairs=pairs,
            timeframe=timeframe,
            candles=candles,
        )
    )
