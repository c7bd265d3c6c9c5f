"""Prometheus view of a pool: bots by state, restarts and memory, from a snapshot per scrape."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime.memory import process_memory
from runtime.states import State
from runtime.status import PoolSnapshot


class PoolCollector(Collector):
    """Reports one snapshot of the pool (no counters to keep in sync); memory read on collect."""

    def __init__(self, pool: PoolSnapshot) -> None:
        self.pool = pool

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
        restarts = CounterMetricFamily(
            "cryptopilot_pool_bot_restarts",
            "Automatic restarts after crashes",
            labels=["pool", "bot_id"],
        )
        pss = GaugeMetricFamily(
            "cryptopilot_pool_bot_pss_bytes",
            "Proportional set size of a bot process",
            labels=["pool", "bot_id"],
        )
        for bot in bots:
            restarts.add_metric([pool_id, bot.bot_id], bot.restarts)
            memory = process_memory(bot.pid)
            if memory is not None:
                pss.add_metric([pool_id, bot.bot_id], memory.pss_bytes)
        yield restarts
        yield pss


def registry_for(pool: PoolSnapshot) -> CollectorRegistry:
    """A registry holding only this snapshot's collector (no global state)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PoolCollector(pool))
    return registry
