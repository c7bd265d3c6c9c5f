"""What the pool reports: one bot's status and the whole pool's health (no HTTP, no locks)."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import psutil

from runtime.memory import process_memory
from runtime.settings import PoolSettings
from runtime.states import State

if TYPE_CHECKING:
    from runtime.pool import ManagedBot


def describe_bot(bot: ManagedBot, api_password: str) -> dict[str, Any]:
    """A bot's status as the RPC reports it: state, pid, port, uptime, restarts, memory.

    `api_password` is the derived one: whoever reads this holds the pool token anyway.
    """
    proc, record = bot.process, bot.record
    memory = process_memory(proc.pid)
    uptime = proc.uptime()
    return {
        "bot_id": record.spec.bot_id,
        "owner": record.spec.owner,
        "state": proc.state.value,
        "desired": record.desired,
        "busy": bot.busy,
        "pid": proc.pid,
        "api_port": record.port,
        "api": {
            "url": f"http://127.0.0.1:{record.port}",
            "username": record.api.username,
            "password": api_password,
        },
        "uptime_s": None if uptime is None else round(uptime, 3),
        "restarts": proc.restarts,
        "last_exit": proc.last_exit,
        "fatal_reason": proc.fatal_reason,
        "memory": None if memory is None else memory.to_dict(),
        "folder": str(bot.paths.root),
        "spec": record.spec.to_dict(),
    }


# psutil measures CPU between two calls on the same Process object: keep one per pid.
_cpu_probes: dict[int, psutil.Process] = {}


def cpu_percent(pids: list[int | None]) -> float:
    """Summed CPU use (%) of these processes since the previous call (0.0 the first time)."""
    wanted = {pid for pid in pids if pid}
    for stale in set(_cpu_probes) - wanted:
        del _cpu_probes[stale]
    total = 0.0
    for pid in wanted:
        try:
            probe = _cpu_probes.get(pid)
            if probe is None or not probe.is_running():
                probe = _cpu_probes[pid] = psutil.Process(pid)
            total += probe.cpu_percent(interval=None)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            _cpu_probes.pop(pid, None)
    return round(total, 1)


def pool_health(
    settings: PoolSettings,
    bots: list[ManagedBot],
    *,
    accepting: bool,
    forkserver_pid: int | None,
    started_at: float,
) -> dict[str, Any]:
    """Capacity, free slots, bots by state, PSS and CPU of supervisor, forkserver and bots."""
    states = Counter(bot.process.state.value for bot in bots)
    bot_pss = sum(
        m.pss_bytes for m in (process_memory(b.process.pid) for b in bots) if m is not None
    )
    own = process_memory(os.getpid())
    server = process_memory(forkserver_pid)
    supervisor_pss = own.pss_bytes if own else 0
    server_pss = server.pss_bytes if server else 0
    return {
        "pool_id": settings.pool_id,
        "accepting": accepting,
        "capacity": settings.capacity,
        "bots": len(bots),
        "free_slots": max(settings.capacity - len(bots), 0),
        "states": {state.value: states.get(state.value, 0) for state in State},
        "memory": {
            "supervisor_pss_bytes": supervisor_pss,
            "forkserver_pss_bytes": server_pss,
            "bots_pss_bytes": bot_pss,
            "total_pss_bytes": supervisor_pss + server_pss + bot_pss,
            "host_available_bytes": int(psutil.virtual_memory().available),
        },
        "cpu_percent": cpu_percent([os.getpid(), forkserver_pid, *(b.process.pid for b in bots)]),
        "forkserver_pid": forkserver_pid,
        "uptime_s": round(time.time() - started_at, 3),
    }
