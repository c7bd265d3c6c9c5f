"""What the pool reports: one bot's status and the whole pool's health (no HTTP).

The pool takes a snapshot of its bots on the event loop, under its lock (plain values, no
I/O); the functions here add the slow /proc readings (memory, CPU) to that snapshot, so they
may run in a worker thread while the event loop goes on changing the bots.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import psutil

from runtime import ksm
from runtime.announce import control_url
from runtime.botroute import bot_api_base
from runtime.liveness.heartbeat import Heartbeat
from runtime.memory import process_memory
from runtime.settings import PoolSettings
from runtime.states import State

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class BotSnapshot:
    """One bot at one instant: everything its status reports but the /proc readings."""

    bot_id: str
    owner: str
    state: State
    desired: str
    busy: str | None  # the pool command waiting for the bot to stop ("restarting", ...)
    pid: int | None
    api_port: int
    api_username: str
    api_password: str
    uptime_s: float | None
    restarts: int
    last_exit: str | None
    crash_code: int | None  # exit code of the last exit nobody asked for (< 0: the signal)
    crash_reason: str | None  # and the reason recorded for it
    fatal_reason: str | None
    folder: str
    spec: Mapping[str, Any]  # a copy of the bot's spec, as `BotSpec.to_dict` gives it
    strategy_applied: str | None  # "reload" or "restart": how the last deploy reached it
    strategy_applied_at: str | None
    heartbeat: Heartbeat | None = None  # the last loop pass of its current process
    stalled: bool = False
    stall_restarts: int = 0


@dataclass(frozen=True)
class PoolSnapshot:
    """The whole pool at one instant, its bots sorted by id."""

    pool_id: str
    capacity: int
    accepting: bool
    forkserver_pid: int | None
    started_at: float
    bots: tuple[BotSnapshot, ...]


def api_route(settings: PoolSettings) -> Literal["direct", "pool"]:
    """How callers reach the bots' APIs: "pool" as soon as the control API is meant to be
    reached from elsewhere (a public URL, or listening beyond loopback), else "direct"."""
    if settings.bot_api_route != "auto":
        return settings.bot_api_route
    if settings.public_url or settings.control_host not in LOOPBACK_HOSTS:
        return "pool"
    return "direct"


def bot_api_url(settings: PoolSettings, bot_id: str, port: int) -> str:
    """The base URL of a bot's FreqTrade API (`+ "/api/v1/..."`) as this pool reports it.

    The bots listen on 127.0.0.1 only either way: "pool" serves them through the control
    port (runtime/rpc/botproxy.py), so they are never exposed beyond it.
    """
    if api_route(settings) == "pool":
        return bot_api_base(control_url(settings), bot_id)
    return f"http://127.0.0.1:{port}"


def describe_bot(bot: BotSnapshot, settings: PoolSettings) -> dict[str, Any]:
    """A bot's status as the RPC reports it: state, pid, port, uptime, restarts, memory."""
    memory = process_memory(bot.pid)
    return {
        "bot_id": bot.bot_id,
        "owner": bot.owner,
        "state": bot.state.value,
        "desired": bot.desired,
        "busy": bot.busy,
        "pid": bot.pid,
        "api_port": bot.api_port,
        "api": {
            "url": bot_api_url(settings, bot.bot_id, bot.api_port),
            "username": bot.api_username,
            "password": bot.api_password,
        },
        "uptime_s": None if bot.uptime_s is None else round(bot.uptime_s, 3),
        "restarts": bot.restarts,
        "last_exit": bot.last_exit,
        "fatal_reason": bot.fatal_reason,
        "memory": None if memory is None else memory.to_dict(),
        "folder": bot.folder,
        "spec": dict(bot.spec),
        "strategy_version": bot.spec.get("strategy_version"),
        "strategy_applied": bot.strategy_applied,
        "strategy_applied_at": bot.strategy_applied_at,
        "heartbeat": None if bot.heartbeat is None else bot.heartbeat.to_dict(time.time()),
        "stalled": bot.stalled,
        "stall_restarts": bot.stall_restarts,
    }


def describe_bots(bots: Iterable[BotSnapshot], settings: PoolSettings) -> list[dict[str, Any]]:
    """The status of each of these bots, in their order."""
    return [describe_bot(bot, settings) for bot in bots]


class CpuProbes:
    """CPU use of a pool's processes between two readings; safe to call from threads.

    psutil measures CPU between two calls on the same Process object, so one is kept per
    pid, and dropped once that pid is no longer asked about (its bot stopped or went).
    """

    def __init__(self) -> None:
        self._probes: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()

    def percent(self, pids: Iterable[int | None]) -> float:
        """Summed CPU use (%) of these processes since the previous call (0.0 the first time)."""
        wanted = {pid for pid in pids if pid}
        total = 0.0
        with self._lock:
            for stale in set(self._probes) - wanted:
                del self._probes[stale]
            for pid in wanted:
                try:
                    probe = self._probes.get(pid)
                    if probe is None or not probe.is_running():
                        probe = self._probes[pid] = psutil.Process(pid)
                    total += probe.cpu_percent(interval=None)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    self._probes.pop(pid, None)
        return round(total, 1)


def ksm_health(pool: PoolSnapshot) -> dict[str, Any]:
    """Whether the bots' memory is mergeable, how much of it is merged, the host's ksmd."""
    state = ksm.host()
    return {
        "bots_mergeable": pool.forkserver_pid is not None and ksm.merging(pool.forkserver_pid),
        "bots_merged_bytes": sum(ksm.merged_bytes(b.pid) for b in pool.bots if b.pid),
        "host": None if state is None else state.as_dict(),
    }


def pool_health(pool: PoolSnapshot, cpu: CpuProbes) -> dict[str, Any]:
    """Capacity, free slots, bots by state, PSS and CPU of supervisor, forkserver and bots."""
    states = Counter(bot.state.value for bot in pool.bots)
    bot_pss = sum(m.pss_bytes for m in (process_memory(b.pid) for b in pool.bots) if m is not None)
    own = process_memory(os.getpid())
    server = process_memory(pool.forkserver_pid)
    supervisor_pss = own.pss_bytes if own else 0
    server_pss = server.pss_bytes if server else 0
    pids = [os.getpid(), pool.forkserver_pid, *(b.pid for b in pool.bots)]
    return {
        "pool_id": pool.pool_id,
        "accepting": pool.accepting,
        "capacity": pool.capacity,
        "bots": len(pool.bots),
        "free_slots": max(pool.capacity - len(pool.bots), 0),
        "states": {state.value: states.get(state.value, 0) for state in State},
        "memory": {
            "supervisor_pss_bytes": supervisor_pss,
            "forkserver_pss_bytes": server_pss,
            "bots_pss_bytes": bot_pss,
            "total_pss_bytes": supervisor_pss + server_pss + bot_pss,
            "host_available_bytes": int(psutil.virtual_memory().available),
            "ksm": ksm_health(pool),
        },
        "cpu_percent": cpu.percent(pids),
        "forkserver_pid": pool.forkserver_pid,
        "uptime_s": round(time.time() - pool.started_at, 3),
    }
