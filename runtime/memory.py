"""RSS, PSS and CPU time of processes, read from /proc.

`process_memory` (psutil) serves the status and health replies; `read_process` serves each
Prometheus scrape: two small reads per pid (smaps_rollup, stat), no psutil objects kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psutil

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
KIB = 1024


@dataclass(frozen=True)
class Memory:
    rss_bytes: int
    pss_bytes: int

    def to_dict(self) -> dict[str, int]:
        return {"rss_bytes": self.rss_bytes, "pss_bytes": self.pss_bytes}


@dataclass(frozen=True)
class ProcessSample:
    """One process at one instant: resident and proportional memory, CPU time used so far."""

    rss_bytes: int
    pss_bytes: int
    cpu_seconds: float  # user + system time of the process itself (not its children)


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


def read_process(pid: int | None, proc: Path = PROC) -> ProcessSample | None:
    """RSS, PSS and CPU seconds of one process; None when it is gone, a zombie or unreadable."""
    if pid is None:
        return None
    folder = proc / str(pid)
    try:
        rollup = (folder / "smaps_rollup").read_text(encoding="ascii")
        stat = (folder / "stat").read_text(encoding="ascii", errors="replace")
    except (OSError, ProcessLookupError):
        return None
    sizes = parse_rollup(rollup)
    cpu = parse_cpu_seconds(stat)
    if "Rss" not in sizes or "Pss" not in sizes or cpu is None:
        return None  # a zombie has no address space left to report
    return ProcessSample(rss_bytes=sizes["Rss"], pss_bytes=sizes["Pss"], cpu_seconds=cpu)


def parse_rollup(text: str) -> dict[str, int]:
    """The `Name:  N kB` lines of /proc/PID/smaps_rollup, in bytes."""
    sizes: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        fields = rest.split()
        if len(fields) == 2 and fields[1] == "kB" and fields[0].isdigit():
            sizes[name] = int(fields[0]) * KIB
    return sizes


def parse_cpu_seconds(stat: str) -> float | None:
    """utime + stime of /proc/PID/stat in seconds (the command name may hold spaces and ')')."""
    _, paren, rest = stat.rpartition(")")
    fields = rest.split()
    # After the name come state (field 3) ... utime (14) and stime (15).
    if not paren or len(fields) < 13:
        return None
    try:
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except ValueError:
        return None


CGROUP_ROOT = Path("/sys/fs/cgroup")
# cgroup v1 reports "no limit" as the largest page-aligned signed 64-bit number.
V1_UNLIMITED = 1 << 62


def cgroup_memory_limit(
    own: Path = PROC / "self" / "cgroup", root: Path = CGROUP_ROOT
) -> int | None:
    """The memory limit (bytes) of this process's cgroup, or None when it has none.

    cgroup v2: the smallest `memory.max` from the process's own cgroup up to the root (a
    parent's limit binds its children too); v1: `memory.limit_in_bytes` of the memory
    controller's cgroup (hosts that mount both: v2 first). "max", a missing file or an
    unreadable one count as no limit.
    """
    try:
        lines = own.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    entries = [line.split(":", 2) for line in lines if line.count(":") >= 2]
    for hierarchy, controllers, path in entries:
        if hierarchy == "0" and controllers == "":
            limit = _v2_limit(root, path)
            if limit is not None:
                return limit
    for _, controllers, path in entries:
        if "memory" in controllers.split(","):
            value = _read_int(root / "memory" / path.lstrip("/") / "memory.limit_in_bytes")
            return value if value is not None and value < V1_UNLIMITED else None
    return None


def _v2_limit(root: Path, path: str) -> int | None:
    folder = root / path.lstrip("/")
    limits: list[int] = []
    while True:
        value = _read_int(folder / "memory.max")
        if value is not None:
            limits.append(value)
        if folder == root or root not in folder.parents:
            break
        folder = folder.parent
    return min(limits) if limits else None


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
