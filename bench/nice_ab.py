"""Side by side at the last step of bench/scale.py: hot add with the running bots at nice 0
and at the pool's bot nice (runtime/priority.py), alternating, same bots, same host.

Each round hot-adds one bot into the last pool's spare slot with every running bot's threads
(and autogroup) set to nice 0, removes it, then the same with them at `nice`. Lowering a
nice value needs root (CAP_SYS_NICE): without it the comparison is not made.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

from runtime.priority import thread_nices
from runtime.rpc.client import PoolClient

SETTLE_SECONDS = 3.0  # after a removal and after a renice, before the next add


def can_lower_nice() -> bool:
    return os.geteuid() == 0


def renice(pids: list[int], nice: int) -> int:
    """Set every thread (and the autogroup) of each process to `nice`; threads changed."""
    changed = 0
    for pid in pids:
        try:
            for tid in thread_nices(pid):
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                changed += 1
            Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")
        except (ProcessLookupError, FileNotFoundError):
            continue  # the bot ended meanwhile (the bench does not restart bots)
    return changed


async def hot_add_once(pool: PoolClient, spec: dict[str, Any]) -> float:
    """Add `spec`'s bot until it is running, then remove it; the seconds the add took."""
    started = time.monotonic()
    await pool.add_bot(spec)
    await pool.wait_for_state(spec["bot_id"], "running", 300, 0.02)
    took = time.monotonic() - started
    await pool.remove_bot(spec["bot_id"])
    return took


async def compare(
    pool: PoolClient, bot_pids: list[int], spec_of: Any, rounds: int, nice: int
) -> dict[str, Any]:
    """`rounds` hot adds with the bots at nice 0 and as many at `nice`, alternating."""
    seconds: dict[int, list[float]] = {0: [], nice: []}
    try:
        for index in range(rounds):
            for value in (0, nice):
                renice(bot_pids, value)
                await asyncio.sleep(SETTLE_SECONDS)
                spec = spec_of(f"ab-{value}-{index}")
                seconds[value].append(await hot_add_once(pool, spec))
    finally:
        renice(bot_pids, nice)  # as the pool runs them
    return {
        "rounds": rounds,
        "nice": nice,
        "bots": len(bot_pids),
        "at_0": summary(seconds[0]),
        f"at_{nice}": summary(seconds[nice]),
    }


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "max": max(values)}


def line(found: dict[str, Any]) -> str:
    nice = found["nice"]
    zero, niced = found["at_0"], found[f"at_{nice}"]
    return (
        f"hot add at {found['bots']} bots, {found['rounds']} rounds side by side:"
        f" running bots at nice 0 p50/max {zero['p50']:.2f}/{zero['max']:.2f}s,"
        f" at nice {nice} {niced['p50']:.2f}/{niced['max']:.2f}s"
    )
