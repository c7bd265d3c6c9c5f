"""Where a pool reports product events about its bots (crashes, stalls) for analytics.

The pool calls `emit` from its event loop; a sink must never block or raise (PostHog's sink
queues and drops). `NoEvents` is the default: analytics are off unless a key is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class PoolEvents(Protocol):
    """Receives one product event: its name, the bot owner's id, plain JSON properties."""

    def emit(self, event: str, owner: str, properties: Mapping[str, object]) -> None:
        """Record the event; returns at once, never raises."""


class NoEvents:
    """Drops every event (analytics off)."""

    def emit(self, event: str, owner: str, properties: Mapping[str, object]) -> None:
        return None
