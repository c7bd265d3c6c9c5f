"""Prometheus view of a pool: bots by state, restarts and memory, read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime.memory import process_memory
from runtime.states import State

if TYPE_CHECKING:
    from runtime.pool import Pool


class PoolCollector(Collector):
    """Reads the pool's state on each scrape (no counters to keep in sync)."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        pool_id = self.pool.settings.pool_id
        bots = self.pool.bots()
        capacity = GaugeMetricFamily(
            "cryptopilot_pool_capacity", "Most bots the pool holds", labels=["pool"]
        )
        capacity.add_metric([pool_id], self.pool.settings.capacity)
        yield capacity
        by_state = GaugeMetricFamily(
            "cryptopilot_pool_bots", "Bots by process state", labels=["pool", "state"]
        )
        for state in State:
            count = sum(1 for b in bots if b.process.state is state)
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
            bot_id = bot.record.spec.bot_id
            restarts.add_metric([pool_id, bot_id], bot.process.restarts)
            memory = process_memory(bot.process.pid)
            if memory is not None:
                pss.add_metric([pool_id, bot_id], memory.pss_bytes)
        yield restarts
        yield pss


def registry_for(pool: Pool) -> CollectorRegistry:
    """A registry holding only this pool's collector (no global state)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PoolCollector(pool))
    return registry
