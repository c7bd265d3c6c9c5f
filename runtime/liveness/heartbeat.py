"""A bot's heartbeat: one small JSON file in its folder, rewritten after each loop pass.

The bot child writes it (`hook.py`), its supervisor reads it (`watchdog.py`, status,
metrics): no network round trip and nothing the bot could block on. The file is replaced
atomically (write a temporary file, `os.replace`), so a reader sees the previous pass or the
new one, never half of one; the pool deletes it before each spawn, so a heartbeat on disk is
always from the bot's current process.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Heartbeat:
    """One pass of a bot's FreqTrade loop, as the bot itself measured it."""

    at: float  # wall-clock time (time.time()) at the end of the pass
    loop_s: float  # how long the pass took
    pairs: int  # pairs analysed (FreqTrade's active whitelist)
    open_trades: int
    closed_profit: float  # FreqTrade's total closed profit, in the stake currency
    throttle_s: float  # the bot's process_throttle_secs: a pass is due this often
    state: str  # FreqTrade's own state: "running", or "stopped" (paused through its API)
    pid: int  # the process that wrote it

    def to_dict(self, now: float) -> dict[str, Any]:
        """The heartbeat as a status reports it, with its age at `now`."""
        return {**asdict(self), "age_s": round(max(now - self.at, 0.0), 3)}


def write_heartbeat(path: Path, beat: Heartbeat) -> None:
    """Replace the heartbeat file atomically."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(beat)), encoding="utf-8")
    temporary.replace(path)


def read_heartbeat(path: Path) -> Heartbeat | None:
    """The last heartbeat, or None when there is none (or it is unreadable: never trusted)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Heartbeat(
            at=float(data["at"]),
            loop_s=float(data["loop_s"]),
            pairs=int(data["pairs"]),
            open_trades=int(data["open_trades"]),
            closed_profit=float(data["closed_profit"]),
            throttle_s=float(data["throttle_s"]),
            state=str(data["state"]),
            pid=int(data["pid"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_heartbeat(path: Path) -> None:
    """Forget the previous process's heartbeat (before a spawn)."""
    path.unlink(missing_ok=True)
