"""One bot's backup state: success, failures with exponential backoff capped at 5 minutes."""

from __future__ import annotations

from runtime.backup.state import (
    DEGRADED,
    MAX_BACKOFF_S,
    NO_DATABASE,
    OK,
    PENDING,
    BotBackupState,
    backoff_delay,
)


def test_backoff_doubles_from_the_interval_and_stops_at_five_minutes() -> None:
    assert [backoff_delay(30.0, n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    assert backoff_delay(0.5, 1) == 0.5
    assert backoff_delay(0.5, 1000) == MAX_BACKOFF_S


def test_failures_degrade_and_back_off_then_a_success_resets() -> None:
    state = BotBackupState("b1", next_attempt=100.0)
    assert state.status == PENDING
    assert not state.due(99.0) and state.due(100.0)
    assert state.lag(100.0) is None

    state.succeeded(100.0, 30.0, rows=5)
    assert (state.status, state.next_attempt, state.rows_sent) == (OK, 130.0, 5)

    state.failed(130.0, 30.0, "ConnectionError: refused")
    state.failed(160.0, 30.0, "ConnectionError: refused")
    assert state.status == DEGRADED
    assert state.consecutive_failures == 2
    assert state.next_attempt == 160.0 + 60.0
    view = state.as_dict(170.0)
    assert view["lag_s"] == 70.0  # the off-site copy is as old as the last success
    assert view["last_error"] == "ConnectionError: refused"
    assert view["next_attempt_in_s"] == 50.0
    assert view["last_success"] == 100.0

    state.succeeded(220.0, 30.0, rows=2)
    assert (state.status, state.consecutive_failures, state.last_error) == (OK, 0, None)
    assert state.rows_sent == 7 and state.passes == 2


def test_no_database_is_not_a_failure() -> None:
    state = BotBackupState("b1")
    state.no_database(10.0, 30.0)
    assert (state.status, state.consecutive_failures, state.next_attempt) == (NO_DATABASE, 0, 40.0)
    state.succeeded(40.0, 30.0, rows=1)
    state.no_database(70.0, 30.0)  # a backed-up bot whose file went away keeps its status
    assert state.status == OK
