"""The host's ksmd for a benchmark side: started at a given scan rate, waited on, its CPU
counted, and put back as it was (needs root: /sys/kernel/mm/ksm is the host's).

The pool's bots opt in themselves (runtime/ksm.py, the pool's `ksm` setting); this only
decides whether the kernel merges, and how fast.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runtime import ksm

SETTINGS = ("run", "pages_to_scan", "sleep_millisecs")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def available() -> bool:
    return os.geteuid() == 0 and ksm.host() is not None


@contextmanager
def running(pages_to_scan: int, sleep_ms: int = 20) -> Iterator[None]:
    """ksmd on at this rate for the block; the host's settings as they were afterwards."""
    before = {name: (ksm.SYSFS / name).read_text() for name in SETTINGS}
    try:
        (ksm.SYSFS / "pages_to_scan").write_text(f"{pages_to_scan}\n")
        (ksm.SYSFS / "sleep_millisecs").write_text(f"{sleep_ms}\n")
        (ksm.SYSFS / "run").write_text("1\n")
        yield
    finally:
        for name in SETTINGS:
            (ksm.SYSFS / name).write_text(before[name])


def full_scans() -> int:
    state = ksm.host()
    return 0 if state is None else state.full_scans


async def wait_for_scans(count: int, timeout: float) -> float:  # noqa: ASYNC109 - a deadline
    """Wait until ksmd has finished `count` more full scans; the seconds it took."""
    started, target = time.monotonic(), full_scans() + count
    while full_scans() < target:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"ksmd did not finish {count} full scans in {timeout:g}s")
        await asyncio.sleep(0.5)
    return time.monotonic() - started


def ksmd_pid() -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "ksmd":
                    return int(entry.name)
            except OSError:
                continue
    return None


def cpu_seconds(pid: int | None) -> float:
    """utime + stime of a (kernel) thread; 0.0 if unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def bookkeeping_bytes(pids: list[int]) -> int:
    """The kernel's KSM bookkeeping for these processes (memory no PSS shows)."""
    return sum(ksm.process(pid).bookkeeping_bytes for pid in pids)


def merged_bytes(pids: list[int]) -> int:
    return sum(ksm.process(pid).merged_bytes for pid in pids)
