"""runtime/priority.py in real processes: each test forks a child in a session of its own,
so the nice values it raises (which cannot be lowered again without privilege) are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runtime import priority

REPO = Path(__file__).resolve().parents[2]


def _child(code: str) -> dict[str, object]:
    """Run `code` in a new session; it prints one JSON object as its last line."""
    script = textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_every_thread_and_the_autogroup_take_the_nice_value() -> None:
    seen = _child(
        """
        import json, threading
        from runtime import priority
        stop = threading.Event()
        workers = [threading.Thread(target=stop.wait) for _ in range(3)]
        for worker in workers:
            worker.start()
        before = priority.thread_nices()
        changed = priority.lower_priority(7)
        late = threading.Thread(target=stop.wait)  # started after: inherits its creator's
        late.start()
        after = priority.thread_nices()
        stop.set()
        print(json.dumps({"before": sorted(set(before.values())), "threads": len(before),
                          "changed": changed, "after": sorted(set(after.values())),
                          "after_threads": len(after), "group": priority.autogroup_nice()}))
        """
    )
    assert seen["before"] == [0] and seen["threads"] == 4
    assert seen["changed"] == 4
    assert seen["after"] == [7] and seen["after_threads"] == 5
    if priority.autogroup_nice() is not None:  # the kernel schedules by autogroup here
        assert seen["group"] == 7
    # This process (the test runner) is untouched.
    assert set(priority.thread_nices().values()) == {os.getpriority(os.PRIO_PROCESS, 0)}


def test_a_higher_value_set_by_an_operator_is_kept() -> None:
    seen = _child(
        """
        import json, os
        from runtime import priority
        os.setpriority(os.PRIO_PROCESS, 0, 12)
        changed = priority.lower_priority(5)
        nices = sorted(set(priority.thread_nices().values()))
        print(json.dumps({"changed": changed, "nice": nices}))
        """
    )
    assert seen == {"changed": 0, "nice": [12]}


def test_outside_its_own_session_the_autogroup_is_left_alone() -> None:
    group = priority.autogroup_nice()
    done = subprocess.run(
        [sys.executable, "-c", "from runtime import priority; priority.lower_priority(9)"],
        cwd=REPO,
        timeout=60,
        check=True,
    )
    assert done.returncode == 0
    assert priority.autogroup_nice() == group  # the runner's session group did not move


def test_the_callback_lowers_the_priority_after_the_first_pass_only() -> None:
    seen = _child(
        """
        import json, os
        from runtime import priority
        callback = priority.after_first_pass(6)
        callback(object())
        first = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, 8)  # an operator's renice between passes
        callback(object())
        print(json.dumps({"first": first, "later": os.getpriority(os.PRIO_PROCESS, 0)}))
        """
    )
    assert seen == {"first": 6, "later": 8}


@pytest.mark.parametrize("nice", [0, -1, 20])
def test_values_outside_1_to_19_are_refused(nice: int) -> None:
    with pytest.raises(ValueError, match="1..19"):
        priority.lower_priority(nice)


def test_autogroup_of_a_process_without_one_reads_none() -> None:
    assert priority.autogroup_nice(2**22 + 12345) is None  # no such process
