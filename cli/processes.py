"""Stopping a child process the graceful way: SIGTERM, a grace period, then SIGKILL."""

from __future__ import annotations

import signal
import subprocess
from typing import Any


def stop_process(process: subprocess.Popen[Any], grace: float = 30.0) -> int:
    """Stop `process` if it still runs (SIGTERM, wait `grace` s, SIGKILL); return its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()
