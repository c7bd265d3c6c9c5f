"""The per-bot process state machine: every legal move is written down here and checked."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    """Where one bot's process is in its life (the names supervisord uses)."""

    STOPPED = "stopped"  # no process, and none wanted
    STARTING = "starting"  # process spawned, its REST API not answering yet
    RUNNING = "running"  # process alive and its REST API answered
    BACKOFF = "backoff"  # crashed; waiting before the next start
    STOPPING = "stopping"  # SIGTERM sent, waiting for the process to exit
    EXITED = "exited"  # process ended without being asked to; the policy decides next
    FATAL = "fatal"  # crashed too often; stays down until started by hand


TRANSITIONS: dict[State, frozenset[State]] = {
    State.STOPPED: frozenset({State.STARTING}),
    State.STARTING: frozenset({State.RUNNING, State.STOPPING, State.EXITED}),
    State.RUNNING: frozenset({State.STOPPING, State.EXITED}),
    State.BACKOFF: frozenset({State.STARTING, State.STOPPED}),
    State.STOPPING: frozenset({State.STOPPED}),
    State.EXITED: frozenset({State.BACKOFF, State.FATAL, State.STARTING, State.STOPPED}),
    State.FATAL: frozenset({State.STARTING, State.STOPPED}),
}

# States in which a process exists (its pid is meaningful).
ALIVE = frozenset({State.STARTING, State.RUNNING, State.STOPPING})
# States from which an explicit `start` may begin a new process.
STARTABLE = frozenset({State.STOPPED, State.EXITED, State.FATAL})


class IllegalTransition(RuntimeError):
    """A move the table above does not allow: always a bug in the caller."""

    def __init__(self, current: State, target: State) -> None:
        super().__init__(f"illegal state transition {current.value} -> {target.value}")
        self.current = current
        self.target = target


def can_transition(current: State, target: State) -> bool:
    """Whether `current -> target` is a legal move."""
    return target in TRANSITIONS[current]


def transition(current: State, target: State) -> State:
    """Return `target` if `current -> target` is legal, else raise `IllegalTransition`."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return target
