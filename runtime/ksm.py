"""The kernel's same-page merging (KSM) for a pool's bots: opt in, and read what it saved.

A bot forked from the warm parent shares the parent's pages until it writes to them. Python
writes to far more than it changes: reference counts go up and down, so a page a bot only
read is copied and, a moment later, holds the same bytes as the parent's page again. Those
copies were most of a bot's private memory (docs/runtime.md). KSM finds pages with equal
bytes and maps them to one read-only copy again.

`enable_merge()` is `prctl(PR_SET_MEMORY_MERGE, 1)` (Linux 6.4+, no privilege needed): all of
the process's anonymous memory becomes mergeable, and children forked later inherit it. The
warm parent calls it when `CRYPTOPILOT_WARM_KSM=1` (the pool's `ksm` setting), so every bot
is covered and no other process is. Merging itself happens only where the host runs the
kernel's `ksmd` (`/sys/kernel/mm/ksm/run` = 1, pool_containers/host/ksm.conf); elsewhere the
opt-in costs nothing.
"""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ENV = "CRYPTOPILOT_WARM_KSM"
PR_SET_MEMORY_MERGE = 67
PR_GET_MEMORY_MERGE = 68
SYSFS = Path("/sys/kernel/mm/ksm")
PAGE = os.sysconf("SC_PAGE_SIZE")


def environ_for(enabled: bool) -> dict[str, str]:
    """What the forkserver's environment says about KSM (see runtime/process.py)."""
    return {ENV: "1" if enabled else "0"}


def wanted(environ: dict[str, str] | os._Environ[str]) -> bool:
    return environ.get(ENV) == "1"


def _prctl(option: int, value: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    result = int(libc.prctl(option, value, 0, 0, 0))
    if result < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return result


def enable_merge() -> bool:
    """Make this process's memory (and its future children's) mergeable; False if the
    kernel cannot (older than 6.4, or built without KSM)."""
    try:
        _prctl(PR_SET_MEMORY_MERGE, 1)
    except OSError as exc:
        logger.warning("KSM is not available here (%s): bots keep their own copies", exc)
        return False
    return True


def merging(pid: int | None = None) -> bool:
    """Whether a process's memory (this one's by default) is mergeable."""
    if pid is None:
        try:
            return _prctl(PR_GET_MEMORY_MERGE, 0) == 1
        except OSError:
            return False
    try:
        stat = Path(f"/proc/{pid}/ksm_stat").read_text()
    except OSError:
        return False
    return "ksm_merge_any: yes" in stat


@dataclass(frozen=True)
class HostKsm:
    """The host's ksmd: whether it runs, how fast it scans and what it saves in total."""

    running: bool
    pages_to_scan: int
    sleep_ms: int
    full_scans: int
    saved_bytes: int  # pages_sharing x page size: memory given back by merging

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "running": self.running,
            "pages_to_scan": self.pages_to_scan,
            "sleep_ms": self.sleep_ms,
            "full_scans": self.full_scans,
            "saved_bytes": self.saved_bytes,
        }


def host(sysfs: Path = SYSFS) -> HostKsm | None:
    """The host's KSM state; None where the kernel has none (or /sys is not visible)."""

    def read(name: str) -> int:
        return int((sysfs / name).read_text().split()[0])

    try:
        return HostKsm(
            running=read("run") == 1,
            pages_to_scan=read("pages_to_scan"),
            sleep_ms=read("sleep_millisecs"),
            full_scans=read("full_scans"),
            saved_bytes=read("pages_sharing") * PAGE,
        )
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class ProcessKsm:
    """One process's part in KSM (`/proc/PID/ksm_stat`)."""

    merged_bytes: int  # its pages that are merged pages
    profit_bytes: int  # the kernel's net: merged bytes minus its bookkeeping for this process

    @property
    def bookkeeping_bytes(self) -> int:
        """Kernel memory KSM spends on this process (its rmap items), not in any PSS."""
        return self.merged_bytes - self.profit_bytes


def process(pid: int) -> ProcessKsm:
    """A process's KSM figures; zeros if it is gone or the kernel does not say."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/ksm_stat").read_text().splitlines():
            name, _, value = line.partition(" ")
            if value.strip().lstrip("-").isdigit():
                values[name] = int(value)
    except OSError:
        pass
    return ProcessKsm(
        values.get("ksm_merging_pages", 0) * PAGE, values.get("ksm_process_profit", 0)
    )


def merged_bytes(pid: int) -> int:
    """Bytes of a process's memory that are merged pages (`/proc/PID/ksm_merging_pages`);
    0 if unknown."""
    try:
        return int(Path(f"/proc/{pid}/ksm_merging_pages").read_text().split()[0]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0
