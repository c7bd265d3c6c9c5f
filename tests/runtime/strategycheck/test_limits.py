"""The parent's side: a limit that kills the child still gives a report, written by the parent."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from runtime.strategycheck import Limits, Report, check, run_check
from runtime.strategycheck.child import REPORT_FILE
from runtime.strategycheck.job import Job
from runtime.strategycheck.runner import LOG_FILE, outcome
from tests.helpers import wait_until
from tests.runtime.strategycheck.conftest import UNREACHABLE_MARKET, StrategyFolder

LIMITS = Limits(cpu_seconds=20, memory_mb=512, wall_seconds=30)


def finished(
    tmp_path: Path, returncode: int, *, timed_out: bool = False, cpu: float = 0.0
) -> Report:
    job = Job(tmp_path, "Probe", UNREACHABLE_MARKET, limits=LIMITS)
    return outcome(job, tmp_path, returncode, timed_out=timed_out, cpu_used=cpu, elapsed=7.5)


def only_error(report: Report) -> tuple[str, str]:
    assert not report.passed and report.to_dict()["passed"] is False
    (error,) = report.errors
    return error.kind, error.message


def test_the_childs_own_report_is_read_with_the_parents_duration(tmp_path: Path) -> None:
    written = Report(strategy="Probe", limits=LIMITS, trades=4, duration_s=1.0)
    (tmp_path / REPORT_FILE).write_text(json.dumps(written.to_dict()))
    report = finished(tmp_path, 0)
    assert report.passed and report.trades == 4 and report.duration_s == 7.5


def test_reports_the_parent_writes_for_a_killed_child(tmp_path: Path) -> None:
    # A report left behind does not count once the wall limit killed the child.
    (tmp_path / REPORT_FILE).write_text("{}")
    assert only_error(finished(tmp_path, -signal.SIGKILL, timed_out=True)) == (
        "timeout",
        "still running after the wall limit of 30 s: killed",
    )
    (tmp_path / REPORT_FILE).unlink()
    assert only_error(finished(tmp_path, -signal.SIGXCPU))[0] == "cpu"
    # SIGKILL from the kernel: past the hard CPU limit, or out of memory.
    assert only_error(finished(tmp_path, -signal.SIGKILL, cpu=19.6))[0] == "cpu"
    kind, message = only_error(finished(tmp_path, -signal.SIGKILL, cpu=3.0))
    assert (kind, message) == ("memory", "ran out of memory (limit 512 MB), SIGKILL")


def test_a_child_that_dies_otherwise_reports_its_last_words(tmp_path: Path) -> None:
    (tmp_path / LOG_FILE).write_text("Traceback ...\nFatal Python error: Segmentation fault\n")
    kind, message = only_error(finished(tmp_path, -signal.SIGSEGV))
    assert kind == "runtime"
    assert "SIGSEGV" in message and "Segmentation fault" in message
    (tmp_path / LOG_FILE).write_text("Traceback ...\nMemoryError\n")
    assert only_error(finished(tmp_path, 1))[0] == "memory"
    report = finished(tmp_path, 1)
    assert report.to_dict()["limits"] == LIMITS.to_dict() and report.duration_s == 7.5


def test_a_syntax_error_in_the_real_child(strategy_folder: StrategyFolder) -> None:
    report = run_check(strategy_folder(indicators="return ("), "Probe", UNREACHABLE_MARKET)
    assert [(e.kind, e.file, e.line) for e in report.errors] == [("syntax", "my_strategy.py", 12)]
    assert report.limits == Limits() and report.trades == 0


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.e2e
async def test_the_wall_limit_kills_the_whole_process_group(
    strategy_folder: StrategyFolder, tmp_path: Path
) -> None:
    pid_file = tmp_path / "sleeper.pid"
    folder = strategy_folder(
        header=f"""
        import pathlib, subprocess, time
        sleeper = subprocess.Popen(["sleep", "600"])
        pathlib.Path({str(pid_file)!r}).write_text(str(sleeper.pid))
        time.sleep(600)
        """
    )
    # The wall limit must leave the child time to import FreqTrade (~2.5 s quiet, several
    # times that on a loaded CI machine) and reach the strategy, which starts the sleeper.
    wall = 15
    started = time.monotonic()
    report = await check(folder, "Probe", UNREACHABLE_MARKET, limits=Limits(wall_seconds=wall))
    elapsed = time.monotonic() - started
    assert only_error(report)[0] == "timeout"
    assert wall <= elapsed < wall + 2 and report.duration_s == pytest.approx(elapsed, abs=0.5)
    assert pid_file.exists(), "the strategy never ran: the sleeper was not started"
    wait_until(lambda: not alive(int(pid_file.read_text())), timeout=5, what="sleeper killed")


@pytest.mark.e2e
def test_the_cpu_limit_stops_a_busy_loop(strategy_folder: StrategyFolder) -> None:
    folder = strategy_folder(header="while True:\n    pass\n")
    started = time.monotonic()
    limits = Limits(cpu_seconds=2, wall_seconds=60)
    report = run_check(folder, "Probe", UNREACHABLE_MARKET, limits=limits)
    assert only_error(report) == ("cpu", "used up the CPU limit of 2 s: killed")
    # The CPU limit, not the wall limit, ended it (wall time grows with the machine's load).
    assert time.monotonic() - started < limits.wall_seconds / 2


@pytest.mark.e2e
def test_the_memory_limit_turns_a_hog_into_a_report(strategy_folder: StrategyFolder) -> None:
    folder = strategy_folder(header="HOG = [bytearray(50_000_000) for _ in range(100)]\n")
    report = run_check(folder, "Probe", UNREACHABLE_MARKET, limits=Limits(memory_mb=512))
    kind, message = only_error(report)
    assert kind == "memory" and "MemoryError" in message
    assert (report.errors[0].file, report.errors[0].line) == ("my_strategy.py", 1)


@pytest.mark.e2e
def test_a_missing_module_in_the_real_child(strategy_folder: StrategyFolder) -> None:
    report = run_check(strategy_folder(header="import qtpylib_typo\n"), "Probe", UNREACHABLE_MARKET)
    assert [(e.kind, e.file, e.line) for e in report.errors] == [
        ("missing_module", "my_strategy.py", 1)
    ]
    assert "'qtpylib_typo'" in report.errors[0].message
