"""Backup state of one bot: when it last succeeded, why it failed, when to try again.

Each bot has its own state so that a failure (its file, its batch, or the whole backup
database being down) only delays that bot's next attempt; the others keep their schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_BACKOFF_S = 300.0  # after repeated failures a bot is retried at least every 5 minutes

OK = "ok"
PENDING = "pending"  # no successful pass yet, no failure either
DEGRADED = "degraded"
NO_DATABASE = "no_database"  # the bot has not written its SQLite yet: nothing to back up


@dataclass
class BotBackupState:
    """Schedule and outcome of one bot's backup passes (times are Unix seconds)."""

    bot_id: str
    status: str = PENDING
    last_success: float | None = None
    last_attempt: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    next_attempt: float = 0.0
    rows_sent: int = 0  # upserts and deletions sent since the supervisor started
    passes: int = 0

    def due(self, now: float) -> bool:
        return now >= self.next_attempt

    def succeeded(self, now: float, interval: float, rows: int) -> None:
        """A pass reached the backup database: back to the normal schedule."""
        self.status = OK
        self.last_success = now
        self.last_attempt = now
        self.last_error = None
        self.consecutive_failures = 0
        self.next_attempt = now + interval
        self.rows_sent += rows
        self.passes += 1

    def no_database(self, now: float, interval: float) -> None:
        """The bot has no SQLite file (yet): not an error, look again next interval."""
        self.status = NO_DATABASE if self.last_success is None else self.status
        self.last_attempt = now
        self.next_attempt = now + interval

    def failed(self, now: float, interval: float, error: str) -> None:
        """A pass failed: degraded, next attempt after an exponential backoff (max 5 min)."""
        self.status = DEGRADED
        self.last_attempt = now
        self.last_error = error
        self.consecutive_failures += 1
        self.next_attempt = now + backoff_delay(interval, self.consecutive_failures)

    def lag(self, now: float) -> float | None:
        """Seconds since the last successful pass (how old the off-site copy is)."""
        return None if self.last_success is None else max(0.0, now - self.last_success)

    def as_dict(self, now: float) -> dict[str, Any]:
        """The JSON view of `GET /backup`."""
        lag = self.lag(now)
        return {
            "bot_id": self.bot_id,
            "status": self.status,
            "last_success": self.last_success,
            "last_attempt": self.last_attempt,
            "lag_s": None if lag is None else round(lag, 3),
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "next_attempt_in_s": round(max(0.0, self.next_attempt - now), 3),
            "rows_sent": self.rows_sent,
            "passes": self.passes,
        }


def backoff_delay(interval: float, failures: int) -> float:
    """Delay after `failures` consecutive failures: interval, 2x, 4x ... capped at 5 min."""
    exponent = min(max(failures - 1, 0), 20)  # bounded so the power never overflows
    return float(min(interval * (2**exponent), MAX_BACKOFF_S))
