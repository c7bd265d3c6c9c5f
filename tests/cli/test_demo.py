"""`cryptopilot demo` starts sandbox, pool, three bots and the gateway; SIGTERM stops them all."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.helpers import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_demo_runs_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    low, gateway_port = 20_000 + free_port() % 30_000, free_port()
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
        "--gateway-port",
        str(gateway_port),
        "--data-dir",
        str(tmp_path / "demo"),
        "--firebase-port",
        "0",  # the Auth emulator of the demo is exercised by tests/web/test_browser.py
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
        assert "/api/stream?token=" in text and "running" in text
        gateway = f"http://127.0.0.1:{gateway_port}"
        token = _demo_user_token(gateway)
        # The pool copies the scalpers' trades into the gateway's SQLite (sync every 15 s).
        wait_until(
            lambda: _synced_trades(gateway, token),
            timeout=120,
            interval=2,
            what="a demo trade synced into the gateway's database",
        )
        # Quiet terminal: the requests above (and the bots' polling) left no access lines in
        # it; the demo said where the logs are instead.
        terminal = "".join(lines)
        assert "Logs (this terminal stays quiet):" in terminal
        assert not any(" GET /api/" in line for line in lines), terminal[-2000:]
        logs_line = next(
            line for line in lines if line.strip().startswith("gateway ") and ".log" in line
        )
        gateway_log = Path(logs_line.split()[-1])
        assert " GET /api/" in gateway_log.read_text(encoding="utf-8")  # access lines go here
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert len(descendants) >= 6  # sandbox, pool, forkserver, three bots, gateway
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


def _get(gateway: str, path: str, token: str) -> Any:
    request = urllib.request.Request(
        f"{gateway}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _demo_user_token(gateway: str) -> str:
    """Log in as the printed demo user; check the token, its bots and its wallet."""
    body = json.dumps({"email": "demo@crypto-pilot.dev", "password": "demo-password"}).encode()
    login = urllib.request.Request(
        f"{gateway}/api/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(login, timeout=10) as response:
        token = str(json.load(response)["token"])
    answer = _get(gateway, "/api/auth/verify-token", token)
    assert answer["valid"] and answer["user"]["email"] == "demo@crypto-pilot.dev"
    assert answer["user"]["paperBalance"] == 400  # 1000 USD minus the three bots' 600
    listed = _get(gateway, "/api/freqtrade/bots", token)["bots"]
    assert sorted(b["instanceId"] for b in listed) == [
        "demo-emarsi",
        "demo-scalp",
        "demo-scalp-eur",
    ]
    return token


def _synced_trades(gateway: str, token: str) -> bool:
    return bool(_get(gateway, "/api/freqtrade/trades?status=all", token)["data"]["trades"])
