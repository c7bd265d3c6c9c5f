"""Small helpers every service uses: ids, the clock and timestamp formatting."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the default `Clock`)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh random id (32 hex characters)."""
    return uuid.uuid4().hex


def iso(moment: datetime | None) -> str | None:
    """JavaScript-style ISO timestamp (`2025-01-01T00:00:00.000Z`), or None."""
    if moment is None:
        return None
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )
