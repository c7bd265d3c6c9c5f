"""bench/load.py end to end with a tiny configuration: the real stack, locust, sane figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
USERS = 5


def run_bench() -> dict[str, Any]:
    command = [
        sys.executable, "bench/load.py", "--users", str(USERS), "--spawn-rate", str(USERS),
        "--duration", "15", "--bots", "1", "--json",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    # The pool's own warnings share stdout: the JSON document is the last thing printed.
    lines = done.stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    result: dict[str, Any] = json.loads("\n".join(lines[start:]))
    return result


@pytest.mark.e2e
def test_load_bench_drives_the_dashboard_scenario_without_errors() -> None:
    result = run_bench()
    rows = {row["name"]: row for row in result["endpoints"]}
    totals = result["totals"]

    assert totals["requests"] > 0
    assert totals["errors"] == 0 and totals["error_rate"] == 0, result["failures"]
    assert result["failures"] == []
    assert all(row["errors"] == 0 for row in rows.values())
    # Each simulated user logged in once, verified twice and opened its stream.
    assert rows["A1 POST /api/auth/login"]["requests"] == USERS
    assert rows["A4 GET /api/auth/verify-token"]["requests"] == 2 * USERS
    assert rows["X1 GET /api/stream (open)"]["requests"] >= USERS
    # Once the stream was open, the dashboard's load; B7 and S3 only for the user with a bot.
    for name in (
        "P1 GET /api/freqtrade/portfolio",
        "P2 GET /api/freqtrade/charts/portfolio",
        "B1 GET /api/freqtrade/bots",
        "P4 GET /api/freqtrade/portfolio/positions",
        "R1 GET /api/freqtrade/universal-settings",
        "S1 GET /api/freqtrade/strategies",
    ):
        assert rows[name]["requests"] >= USERS, name
    assert rows["B7 GET /api/freqtrade/proxy/:id/api/v1/profit"]["requests"] >= 1
    assert rows["S3 GET /api/freqtrade/bots/:id/strategy"]["requests"] == 1
    # The streams delivered events: at least one portfolio each in 15 s (pushed every 5 s).
    assert rows["X1 event portfolio"]["requests"] >= USERS
    assert result["sse_events"] >= 2 * USERS
    for row in rows.values():
        assert 0 <= row["p50_ms"] <= row["p99_ms"], row
        assert row["rps"] > 0, row
    assert 0 < totals["p50_ms"] <= totals["p99_ms"] < 10_000
    gateway = result["gateway"]
    assert gateway["samples"] >= 10
    assert gateway["cpu_max_percent"] > 0
    assert 30 < gateway["rss_max_mib"] < 2_000
