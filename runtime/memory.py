"""RSS and PSS of processes (psutil reads /proc/PID/smaps_rollup)."""

from __future__ import annotations

from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Memory:
    rss_bytes: int
    pss_bytes: int

    def to_dict(self) -> dict[str, int]:
        return {"rss_bytes": self.rss_bytes, "pss_bytes": self.pss_bytes}


def process_memory(pid: int | None) -> Memory | None:
    """RSS and PSS of one process, or None if it is gone or unreadable."""
    if pid is None:
        return None
    try:
        info = psutil.Process(pid).memory_full_info()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    return Memory(rss_bytes=int(info.rss), pss_bytes=int(getattr(info, "pss", 0)))


def total_pss(pids: list[int]) -> int:
    """Sum of PSS over processes that still exist."""
    return sum(m.pss_bytes for m in map(process_memory, pids) if m is not None)
