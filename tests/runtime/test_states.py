"""The transition tables: legal moves pass, everything else raises."""

from __future__ import annotations

import pytest

from runtime.states import (
    CHANGE_CONFLICTS,
    CHANGES,
    TRANSITIONS,
    Change,
    IllegalTransition,
    State,
    can_transition,
    change,
    transition,
)


def test_every_state_has_a_row() -> None:
    assert set(TRANSITIONS) == set(State)


@pytest.mark.parametrize("current", list(State))
@pytest.mark.parametrize("target", list(State))
def test_transition_matches_table(current: State, target: State) -> None:
    if target in TRANSITIONS[current]:
        assert transition(current, target) is target
        assert can_transition(current, target)
    else:
        with pytest.raises(IllegalTransition, match=f"{current.value} -> {target.value}"):
            transition(current, target)


def test_key_moves() -> None:
    assert can_transition(State.RUNNING, State.EXITED)
    assert can_transition(State.FATAL, State.STARTING)
    assert not can_transition(State.STOPPING, State.RUNNING)
    assert not can_transition(State.STOPPED, State.RUNNING)


def test_every_change_has_a_row_and_a_conflict_code() -> None:
    assert set(CHANGES) == set(Change)
    assert set(CHANGE_CONFLICTS) == set(Change) - {Change.NONE}
    assert set(CHANGE_CONFLICTS.values()) == {"BOT_STOPPING", "BOT_BUSY"}


@pytest.mark.parametrize("current", list(Change))
@pytest.mark.parametrize("target", list(Change))
def test_change_matches_table(current: Change, target: Change) -> None:
    if target in CHANGES[current]:
        assert change(current, target) is target
    else:
        with pytest.raises(IllegalTransition, match=f"{current.value} -> {target.value}"):
            change(current, target)


def test_one_change_at_a_time() -> None:
    # A command only begins on an idle bot, and only ends the change it began.
    for pending in set(Change) - {Change.NONE}:
        assert change(Change.NONE, pending) is pending
        assert change(pending, Change.NONE) is Change.NONE
        for other in set(Change) - {Change.NONE}:
            with pytest.raises(IllegalTransition):
                change(pending, other)
