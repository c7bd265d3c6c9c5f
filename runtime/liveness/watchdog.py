"""Stall detection: a running bot whose loop has not passed for too long is restarted.

"Process alive" is not "bot trading": a strategy stuck in a call, a deadlock or a hung
exchange request leaves the process up and its API answering while nothing trades. Each pass
of the watchdog reads every running bot's heartbeat: no pass for `max(factor × throttle,
min_seconds)` marks the bot stalled (logged, reported, an analytics event); still stalled
`grace_seconds` later, the supervisor restarts it (SIGTERM, SIGKILL after the stop grace)
with the reason as its exit, counted as a crash by the restart policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from runtime.liveness.heartbeat import Heartbeat
from runtime.liveness.hook import DEFAULT_THROTTLE_SECONDS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StallRule:
    """When a bot counts as stalled and how long it gets before the restart."""

    factor: float
    min_seconds: float
    grace_seconds: float

    def limit(self, throttle_s: float) -> float:
        """Seconds without a pass after which a bot with this throttle is stalled."""
        return max(self.factor * throttle_s, self.min_seconds)


@dataclass
class Liveness:
    """What the pool knows of one bot's loop (process state of the pool, not persisted)."""

    last: Heartbeat | None = None
    stalled_since: float | None = None
    stalled_for: float = 0.0  # seconds without a pass when last checked
    stall_restarts: int = 0
    history: list[str] = field(default_factory=list)  # the last few stall reasons

    @property
    def stalled(self) -> bool:
        return self.stalled_since is not None

    def reset(self) -> None:
        """Not running (or a new process): nothing is stalled, no heartbeat yet."""
        self.last = None
        self.stalled_since = None
        self.stalled_for = 0.0


@dataclass(frozen=True)
class Verdict:
    """What one check decided for a bot."""

    action: str  # "ok" | "stalled" (just now) | "waiting" (in grace) | "restart" | "recovered"
    age_s: float
    throttle_s: float
    reason: str | None = None


def check(
    liveness: Liveness,
    beat: Heartbeat | None,
    *,
    pid: int | None,
    uptime_s: float,
    now: float,
    rule: StallRule,
) -> Verdict:
    """Update `liveness` from the latest heartbeat of a RUNNING bot and say what to do."""
    if beat is not None and beat.pid != pid:
        beat = None  # from an earlier process of this bot (not cleared yet): ignore it
    liveness.last = beat
    throttle = beat.throttle_s if beat is not None else DEFAULT_THROTTLE_SECONDS
    # Before the first pass, the time since the spawn counts: startup must end in time too.
    age = max(now - beat.at, 0.0) if beat is not None else uptime_s
    liveness.stalled_for = age
    if age <= rule.limit(throttle):
        was = liveness.stalled
        liveness.stalled_since = None
        return Verdict("recovered" if was else "ok", age, throttle)
    if liveness.stalled_since is None:
        liveness.stalled_since = now
        return Verdict("stalled", age, throttle)
    if now - liveness.stalled_since < rule.grace_seconds:
        return Verdict("waiting", age, throttle)
    reason = f"stalled: no loop pass for {age:.0f}s (throttle {throttle:g}s)"
    liveness.stalled_since = None
    liveness.stall_restarts += 1
    liveness.history = [*liveness.history[-4:], reason]
    return Verdict("restart", age, throttle, reason)
