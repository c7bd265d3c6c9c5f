"""bench/profile.py: real py-spy on a real busy Python process, and the categories."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import profile

BUSY = """
import time
def exit_positions():
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sum(i * i for i in range(1000))
print("ready", flush=True)
exit_positions()
"""


@pytest.fixture
def busy(tmp_path: Path) -> Iterator[int]:
    script = tmp_path / "busy.py"
    script.write_text(BUSY)
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    yield process.pid
    process.kill()
    process.wait()


async def test_a_busy_function_is_sampled_and_sorted_into_its_category(busy: int) -> None:
    stacks = await profile.record([busy], seconds=2, rate=100)
    # Busy the whole time with the GIL: about 200 samples.
    assert 100 <= sum(stacks.values()) <= 260, sum(stacks.values())
    shares = profile.breakdown(stacks)
    assert shares["exits: rates, ROI, stoploss"] > 0.9, shares


def test_the_first_matching_category_decides_whatever_the_frame_order() -> None:
    ours = (
        "run (freqtrade/worker.py:79);beat (runtime/liveness/hook.py:57);"
        "publish (runtime/summary/publish.py:40);_rpc_balance (freqtrade/rpc/rpc.py:700)"
    )
    loop = "run (freqtrade/worker.py:79);process (x);exit_positions (freqtrade/freqtradebot.py:1)"
    stacks = Counter({ours: 3, loop: 1, "main (somewhere.py:1)": 1})
    # Both stacks start in FreqTrade's worker; what they do inside it decides.
    assert profile.category_of(ours) == "our summary + heartbeat"
    assert profile.category_of(loop) == "exits: rates, ROI, stoploss"
    assert profile.category_of("run (freqtrade/worker.py:79)") == (
        "FreqTrade's worker (throttle, state)"
    )
    assert profile.breakdown(stacks)["other"] == pytest.approx(0.2)
    assert profile.parse(f"{loop} 5\nnot a line\n") == Counter({loop: 5})
