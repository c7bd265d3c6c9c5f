"""`cryptopilot demo` starts sandbox, pool and three bots, and stops them all on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from tests.helpers import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_demo_runs_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    low = 20_000 + free_port() % 30_000
    args = [
        sys.executable,
        "-m",
        "cli.main",
        "demo",
        "--sandbox-port",
        str(free_port()),
        "--control-port",
        str(free_port()),
        "--api-port-min",
        str(low),
        "--data-dir",
        str(tmp_path / "demo"),
    ]
    process = subprocess.Popen(
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    stdout = process.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_until(
            lambda: any("Press Ctrl-C" in line for line in lines),
            timeout=120,
            interval=0.2,
            what="demo ready",
        )
        text = "".join(lines)
        for bot_id in ("demo-scalp", "demo-emarsi", "demo-scalp-eur"):
            assert bot_id in text
        assert "curl -s -u bot-demo-scalp:" in text
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert len(descendants) >= 5  # sandbox, pool, forkserver, three bots (+ tracker)
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        wait_until(
            lambda: (
                not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in descendants)
            ),
            timeout=10,
            what="every demo process gone",
        )
        reader.join(5)
        assert "demo stopped" in "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
