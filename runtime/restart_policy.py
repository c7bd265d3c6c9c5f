"""When a crashed bot comes back: exponential backoff, and giving up after quick crashes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Restart after `delay` seconds."""

    delay: float


@dataclass(frozen=True)
class GiveUp:
    """Do not restart; `reason` says why (shown in the bot's status)."""

    reason: str


Decision = Backoff | GiveUp


@dataclass(frozen=True)
class RestartPolicy:
    """Backoff doubles from `base_delay` up to `max_delay`; `max_crashes` in `window` is fatal."""

    base_delay: float = 0.5
    max_delay: float = 30.0
    window: float = 60.0
    max_crashes: int = 5

    def recent(self, crash_times: Sequence[float], now: float) -> int:
        """How many crashes happened within the window ending at `now`."""
        return sum(1 for t in crash_times if now - t <= self.window)

    def decide(self, crash_times: Sequence[float], now: float, last_exit: str) -> Decision:
        """Decide after a crash; `crash_times` already includes the crash just seen."""
        count = self.recent(crash_times, now)
        if count >= self.max_crashes:
            return GiveUp(f"crashed {count} times within {self.window:g}s; last exit: {last_exit}")
        delay = self.base_delay * (2 ** max(count - 1, 0))
        return Backoff(min(delay, self.max_delay))
