"""bench/scale.py end to end at a tiny size: 2 real bots in 1 pool, 2 SSE streams, 2 separate."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_a_tiny_ramp_prints_sane_figures() -> None:
    command = [
        sys.executable, "bench/scale.py", "--max-bots", "2", "--step", "1", "--pool-size", "2",
        "--sse", "2", "--requests", "3", "--settle", "8", "--separate", "2", "--markets", "0",
        "--profile-bots", "1", "--profile-seconds", "8", "--nice-ab", "1", "--json",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    [result] = json.loads(done.stdout)
    assert result["markets"] == "regular"
    assert [s["bots"] for s in result["steps"]] == [1, 2]
    assert [s["pools"] for s in result["steps"]] == [1, 1]
    for step in result["steps"]:
        # A forked bot costs tens of MiB above its pool's base, never nothing or a whole process.
        assert 5 < step["pss_per_bot_mib"] < 250, step
        assert step["total_pss_mib"] > step["base_pss_mib"] > 50
        assert 0 < step["cpu_percent"]["bots"] <= 100 and 0 < step["cpu_total_percent"] <= 100
        assert step["late"] == 0 and 0 <= step["lag_p50_s"] <= step["lag_max_s"] < 10
        assert not math.isnan(step["age_max_s"])
        assert 0 < step["hot_add_s"]["p50"] <= step["hot_add_s"]["max"] < 60
        p1 = step["p1"]
        assert p1["errors"] == 0 and 0 < p1["p50_ms"] <= p1["p95_ms"] < 5_000
        assert step["sse_events"] > 0  # the streams were served while the bots traded
        assert step["sse_ended"] == [] and step["sse_largest_kib"] > 0
    found = result["steps"][-1]["profile"]
    assert found["bots"] == 1 and found["samples"] > 0
    assert sum(found["breakdown"].values()) == pytest.approx(1, abs=0.01)
    # A trading bot's samples fall in FreqTrade's loop, not all in "other".
    assert set(found["breakdown"]) - {"other"}, found
    # ksmd ran (the default --ksm): its CPU is counted, the pools' memory merged, and the
    # last step measured again after two more full scans, with the kernel's bookkeeping.
    for step in result["steps"]:
        assert step["cpu_percent"]["ksmd"] >= 0 and step["ksm_bookkeeping_mib"] >= 0
    settled = result["steps"][-1]["ksm_settled"]
    assert settled["merged_mib"] > 0 and settled["bookkeeping_mib"] > 0
    assert 5 < settled["pss_per_bot_mib"] < 250 and settled["waited_s"] > 0
    assert result["targets"]["marginal_mib"] == settled["pss_per_bot_mib"]
    # One hot add with the running bots at nice 0, one at the pools' bot nice (CI runs as root).
    ab = result["steps"][-1]["nice_ab"]
    assert ab["rounds"] == 1 and ab["bots"] == 2 and ab["nice"] == 5
    for phase in ("at_0", "at_5"):
        assert 0 < ab[phase]["p50"] == ab[phase]["max"] < 60
    separate = result["separate"]
    assert separate["bots"] == 2 and separate["total_pss_mib"] > 2 * 100
    # Two bots in a pool cost less than two whole processes, but a pool's base is not free.
    assert 0.2 < result["ratio"] < 1.2
    assert result["knee"] is None or result["knee"]["bots"] in (1, 2)
    assert result["targets"]["bots_on_time"] == 2
    assert result["targets"]["hot_add_at_bots"] == 2
