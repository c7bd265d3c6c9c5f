"""Prometheus view of a pool: bots, their processes and memory, from one snapshot per scrape.

Labels stay bounded (docs/metrics.md): `pool`, `bot_id` (at most the pool's capacity),
`state` (the 7 process states), `process` (`supervisor` | `warm_parent`) and `reason`
(`exit_code` | `signal` | `stalled`). /proc is read once per pid per scrape.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import Histogram
from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime.memory import ProcessSample, cgroup_memory_limit, read_process
from runtime.states import State
from runtime.status import BotSnapshot, PoolSnapshot

# The heartbeat watchdog records a stall restart with a reason starting with this.
STALLED_PREFIX = "stalled:"
EXIT_REASONS = ("exit_code", "signal", "stalled")
# A forked bot reaches RUNNING in ~1-5 s; a cold or loaded host takes up to its start timeout.
HOT_ADD_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0)
# The states in which an add that has not reached RUNNING yet never will.
ADD_ABANDONED = frozenset({State.STOPPING, State.STOPPED, State.FATAL})


def exit_class(bot: BotSnapshot) -> str | None:
    """`stalled`, `signal` or `exit_code` for the bot's last unrequested exit; None if none."""
    stalled = (bot.crash_reason or "").startswith(STALLED_PREFIX)
    if stalled or (bot.last_exit or "").startswith(STALLED_PREFIX):
        return "stalled"
    if bot.crash_code is None:
        return None
    return "signal" if bot.crash_code < 0 else "exit_code"


class PoolMetrics:
    """What a snapshot cannot give: the hot-add latency, measured as bots reach RUNNING.

    Process state of the pool (created with it), not of any bot: it holds only the start
    times of adds still on their way, keyed by bot id.
    """

    def __init__(self, pool_id: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._adding: dict[str, float] = {}
        self.hot_add = Histogram(
            "cryptopilot_pool_hot_add_duration_seconds",
            "Seconds from an add RPC received to its bot running",
            labelnames=["pool"],
            buckets=HOT_ADD_BUCKETS,
            registry=None,
        )
        self._hot_add = self.hot_add.labels(pool_id)  # the series exists from the start

    def now(self) -> float:
        return self._clock()

    def adding(self, bot_id: str, received: float) -> None:
        """An add RPC received at `received` (this clock) has started its bot."""
        self._adding[bot_id] = received

    def changed(self, bot_id: str, state: State) -> None:
        """A bot changed state: a pending add ends when it runs, or when it never will."""
        if state is State.RUNNING:
            received = self._adding.pop(bot_id, None)
            if received is not None:
                self._hot_add.observe(max(self._clock() - received, 0.0))
        elif state in ADD_ABANDONED:
            self._adding.pop(bot_id, None)


@dataclass(frozen=True)
class ScrapeSources:
    """What a scrape reads besides the snapshot; the defaults read this host."""

    memory_limit_setting: int = 0  # CRYPTOPILOT_POOL_MEMORY_LIMIT_BYTES, 0 = unset
    read: Callable[[int | None], ProcessSample | None] = read_process
    cgroup_limit: Callable[[], int | None] = cgroup_memory_limit
    own_pid: int = 0  # 0 = this process


class PoolCollector(Collector):
    """Reports one snapshot of the pool; /proc and the cgroup are read on collect."""

    def __init__(self, pool: PoolSnapshot, sources: ScrapeSources | None = None) -> None:
        self.pool = pool
        self.sources = sources or ScrapeSources()

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        pool_id = self.pool.pool_id
        bots = self.pool.bots
        capacity = GaugeMetricFamily(
            "cryptopilot_pool_capacity", "Most bots the pool holds", labels=["pool"]
        )
        capacity.add_metric([pool_id], self.pool.capacity)
        yield capacity
        by_state = GaugeMetricFamily(
            "cryptopilot_pool_bots", "Bots by process state", labels=["pool", "state"]
        )
        for state in State:
            count = sum(1 for b in bots if b.state is state)
            by_state.add_metric([pool_id, state.value], count)
        yield by_state
        yield from _bot_states(pool_id, bots)
        samples = {bot.bot_id: self.sources.read(bot.pid) for bot in bots}
        yield from _bot_processes(pool_id, samples)
        own = self.sources.read(self.sources.own_pid or os.getpid())
        warm = self.sources.read(self.pool.forkserver_pid)
        yield from _pool_processes(pool_id, {"supervisor": own, "warm_parent": warm})
        total = GaugeMetricFamily(
            "cryptopilot_pool_memory_pss_bytes",
            "PSS of the whole pool: supervisor, warm parent and every bot",
            labels=["pool"],
        )
        parts = [own, warm, *samples.values()]
        total.add_metric([pool_id], sum(s.pss_bytes for s in parts if s is not None))
        yield total
        limit = GaugeMetricFamily(
            "cryptopilot_pool_memory_limit_bytes",
            "Memory limit of the pool (its cgroup's, else the configured one)",
            labels=["pool"],
        )
        value = self.sources.cgroup_limit() or self.sources.memory_limit_setting
        if value:
            limit.add_metric([pool_id], value)
        yield limit


def _bot_states(
    pool_id: str, bots: Iterable[BotSnapshot]
) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    labels = ["pool", "bot_id"]
    up = GaugeMetricFamily("cryptopilot_bot_up", "1 when the bot is running", labels=labels)
    desired = GaugeMetricFamily(
        "cryptopilot_bot_desired_running", "1 when the bot should be running", labels=labels
    )
    restarts = CounterMetricFamily(
        "cryptopilot_bot_restarts", "Automatic restarts after the bot exited", labels=labels
    )
    last_exit = GaugeMetricFamily(
        "cryptopilot_bot_last_exit",
        "1 for the class of the bot's last exit nobody asked for",
        labels=[*labels, "reason"],
    )
    for bot in bots:
        key = [pool_id, bot.bot_id]
        up.add_metric(key, 1 if bot.state is State.RUNNING else 0)
        desired.add_metric(key, 1 if bot.desired == "running" else 0)
        restarts.add_metric(key, bot.restarts)
        reason = exit_class(bot)
        if reason is not None:
            last_exit.add_metric([*key, reason], 1)
    yield from (up, desired, restarts, last_exit)


def _bot_processes(
    pool_id: str, samples: dict[str, ProcessSample | None]
) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    labels = ["pool", "bot_id"]
    rss = GaugeMetricFamily(
        "cryptopilot_bot_resident_memory_bytes", "Resident set size of the bot", labels=labels
    )
    pss = GaugeMetricFamily(
        "cryptopilot_bot_pss_bytes", "Proportional set size of the bot", labels=labels
    )
    cpu = CounterMetricFamily(
        "cryptopilot_bot_cpu_seconds", "CPU time (user + system) of the bot", labels=labels
    )
    for bot_id, sample in samples.items():
        if sample is None:  # not running, or its pid just went away
            continue
        rss.add_metric([pool_id, bot_id], sample.rss_bytes)
        pss.add_metric([pool_id, bot_id], sample.pss_bytes)
        cpu.add_metric([pool_id, bot_id], sample.cpu_seconds)
    yield from (rss, pss, cpu)


def _pool_processes(
    pool_id: str, samples: dict[str, ProcessSample | None]
) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    labels = ["pool", "process"]
    rss = GaugeMetricFamily(
        "cryptopilot_pool_process_resident_memory_bytes",
        "Resident set size of the pool's own processes",
        labels=labels,
    )
    pss = GaugeMetricFamily(
        "cryptopilot_pool_process_pss_bytes",
        "Proportional set size of the pool's own processes",
        labels=labels,
    )
    cpu = CounterMetricFamily(
        "cryptopilot_pool_process_cpu_seconds",
        "CPU time (user + system) of the pool's own processes",
        labels=labels,
    )
    for process, sample in samples.items():
        if sample is None:
            continue
        rss.add_metric([pool_id, process], sample.rss_bytes)
        pss.add_metric([pool_id, process], sample.pss_bytes)
        cpu.add_metric([pool_id, process], sample.cpu_seconds)
    yield from (rss, pss, cpu)


def registry_for(
    pool: PoolSnapshot, metrics: PoolMetrics | None = None, sources: ScrapeSources | None = None
) -> CollectorRegistry:
    """A registry for one scrape: this snapshot's collector and the pool's histogram."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PoolCollector(pool, sources))
    if metrics is not None:
        registry.register(metrics.hot_add)
    return registry
