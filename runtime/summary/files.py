"""A bot's published summary: two small JSON files in its folder, replaced atomically.

`summary.json` is rewritten after every pass of the bot's loop: FreqTrade's own `/status`
(open trades) and `/balance` answers, computed by FreqTrade's RPC code in the bot. The
closed trades (`/trades`, newest first) live in `closed_trades.json`, rewritten only when a
trade closes. The supervisor serves them all in one call (`GET /summaries`), so a dashboard
read never reaches a bot: its cost is one call per pool, whatever the number of bots.

Like the heartbeat: written to a temporary file and `os.replace`d (a reader sees a whole
pass), deleted by the pool before each spawn (a summary on disk is from the current process),
and never trusted when unreadable.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUMMARY_FILE = "summary.json"
CLOSED_FILE = "closed_trades.json"


@dataclass(frozen=True)
class SummaryPaths:
    """Where one bot publishes its summary."""

    summary: Path
    closed: Path

    @classmethod
    def in_folder(cls, folder: Path) -> SummaryPaths:
        return cls(folder / SUMMARY_FILE, folder / CLOSED_FILE)

    def clear(self) -> None:
        """Forget the previous process's summary (before a spawn)."""
        self.summary.unlink(missing_ok=True)
        self.closed.unlink(missing_ok=True)


def write_atomically(path: Path, payload: bytes) -> None:
    """Replace `path` with `payload`: a reader sees the old file or the new one."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(payload)
    temporary.replace(path)


def read_json(path: Path) -> dict[str, Any] | None:
    """A summary file's object, or None when missing or unreadable."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
