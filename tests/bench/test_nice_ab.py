"""bench/nice_ab.py's renice on real processes (the bench itself runs as root here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench import nice_ab
from runtime.priority import autogroup_nice, thread_nices
from tests.helpers import wait_until


def test_renice_sets_every_thread_and_the_autogroup_both_ways() -> None:
    if not nice_ab.can_lower_nice():
        pytest.fail("the bench's side by side needs root, as CI has")
    code = "import threading, time; threading.Thread(target=time.sleep, args=(60,)).start()"
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        wait_until(lambda: len(thread_nices(child.pid)) == 2, timeout=30, what="two threads")
        assert nice_ab.renice([child.pid], 9) == 2
        assert set(thread_nices(child.pid).values()) == {9}
        assert autogroup_nice(child.pid) in (None, 9)
        assert nice_ab.renice([child.pid], 0) == 2  # root may lower it again
        assert set(thread_nices(child.pid).values()) == {0}
    finally:
        child.kill()
        child.wait()
    assert nice_ab.renice([child.pid], 3) == 0  # a process that ended is skipped


def test_the_summary_line_names_both_sides() -> None:
    found = {
        "rounds": 2,
        "nice": 5,
        "bots": 100,
        "at_0": nice_ab.summary([1.0, 2.0, 3.0]),
        "at_5": nice_ab.summary([0.4, 0.5, 0.6]),
    }
    assert found["at_0"] == {"p50": 2.0, "max": 3.0}
    assert nice_ab.line(found) == (
        "hot add at 100 bots, 2 rounds side by side: running bots at nice 0 p50/max 2.00/3.00s,"
        " at nice 5 0.50/0.60s"
    )
