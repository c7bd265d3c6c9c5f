"""Exponential backoff with a cap; N crashes within the window is fatal."""

from __future__ import annotations

from runtime.restart_policy import Backoff, GiveUp, RestartPolicy


def test_backoff_doubles_up_to_cap() -> None:
    policy = RestartPolicy(base_delay=0.5, max_delay=3, window=100, max_crashes=10)
    crashes: list[float] = []
    delays = []
    for t in range(6):
        crashes.append(float(t))
        decision = policy.decide(crashes, float(t), "exit code 1")
        assert isinstance(decision, Backoff)
        delays.append(decision.delay)
    assert delays == [0.5, 1.0, 2.0, 3, 3, 3]


def test_quick_crashes_are_fatal_with_reason() -> None:
    policy = RestartPolicy(max_crashes=3, window=10)
    decision = policy.decide([1.0, 2.0, 3.0], 3.0, "killed by SIGKILL")
    assert isinstance(decision, GiveUp)
    assert "crashed 3 times within 10s" in decision.reason
    assert "killed by SIGKILL" in decision.reason


def test_old_crashes_fall_out_of_the_window() -> None:
    policy = RestartPolicy(base_delay=1, max_crashes=3, window=10)
    decision = policy.decide([0.0, 1.0, 50.0], 50.0, "exit code 1")
    assert decision == Backoff(1)
