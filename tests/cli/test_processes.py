"""stop_process: SIGTERM first, SIGKILL only after the grace period."""

from __future__ import annotations

import signal
import subprocess
import sys

from cli.processes import stop_process

IGNORES_SIGTERM = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def test_a_process_that_honours_sigterm_exits_by_it() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert stop_process(process, grace=10) == -signal.SIGTERM


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    assert stop_process(process, grace=0.5) == -signal.SIGKILL
    process.stdout.close()


def test_an_exited_process_just_reports_its_code() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    assert stop_process(process) == 3
