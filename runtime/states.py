"""The per-bot state machines: every legal move is written down here and checked.

`State` is where a bot's process is; `Change` is which pool command is waiting for that
process to stop (stop, restart, remove) or to reload its strategy before it can finish, so
other commands on the bot answer 409 meanwhile instead of seeing it half-changed.
"""

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
    # -> FATAL: refused before any spawn (a restored bot whose strategy checkout is gone).
    State.STOPPED: frozenset({State.STARTING, State.FATAL}),
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


class Change(enum.StrEnum):
    """The pool command a bot is in the middle of, while its process stops (or reloads)."""

    NONE = "none"  # no command waits on this bot
    STOPPING = "stopping"  # stop: the bot stays stopped
    RESTARTING = "restarting"  # restart or patch: started again once stopped
    REMOVING = "removing"  # remove: forgotten and its folder deleted once stopped
    RELOADING = "reloading"  # patch: FreqTrade reloads its config, the process stays


CHANGES: dict[Change, frozenset[Change]] = {
    Change.NONE: frozenset({Change.STOPPING, Change.RESTARTING, Change.REMOVING, Change.RELOADING}),
    Change.STOPPING: frozenset({Change.NONE}),
    Change.RESTARTING: frozenset({Change.NONE}),
    Change.REMOVING: frozenset({Change.NONE}),
    Change.RELOADING: frozenset({Change.NONE}),
}

# The 409 code other commands on the bot get while it is in the middle of a change.
CHANGE_CONFLICTS: dict[Change, str] = {
    Change.STOPPING: "BOT_STOPPING",
    Change.RESTARTING: "BOT_BUSY",
    Change.REMOVING: "BOT_STOPPING",
    Change.RELOADING: "BOT_BUSY",
}


class IllegalTransition(RuntimeError):
    """A move the tables above do not allow: always a bug in the caller."""

    def __init__(self, current: State | Change, target: State | Change) -> None:
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


def change(current: Change, target: Change) -> Change:
    """Return `target` if the pending change may move `current -> target`, else raise."""
    if target not in CHANGES[current]:
        raise IllegalTransition(current, target)
    return target
