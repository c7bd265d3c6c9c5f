"""The transition table: legal moves pass, everything else raises."""

from __future__ import annotations

import pytest

from runtime.states import TRANSITIONS, IllegalTransition, State, can_transition, transition


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
