"""Prometheus view of the Turso backup: per bot lag, degraded flag and failures in a row."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime.backup.replicator import Replicator
from runtime.backup.state import DEGRADED


class BackupCollector(Collector):
    """Reads the replicator's states on each scrape."""

    def __init__(self, replicator: Replicator) -> None:
        self.replicator = replicator

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool_id = self.replicator.pool_id
        labels = ["pool", "bot_id"]
        lag = GaugeMetricFamily(
            "cryptopilot_pool_backup_lag_seconds",
            "Seconds since the bot's last successful Turso backup pass",
            labels=labels,
        )
        degraded = GaugeMetricFamily(
            "cryptopilot_pool_backup_degraded",
            "1 when the bot's last backup pass failed",
            labels=labels,
        )
        failures = GaugeMetricFamily(
            "cryptopilot_pool_backup_consecutive_failures",
            "Failed backup passes in a row",
            labels=labels,
        )
        now = self.replicator.now()
        for bot_id, state in sorted(self.replicator.states.items()):
            age = state.lag(now)
            if age is not None:
                lag.add_metric([pool_id, bot_id], age)
            degraded.add_metric([pool_id, bot_id], 1.0 if state.status == DEGRADED else 0.0)
            failures.add_metric([pool_id, bot_id], state.consecutive_failures)
        yield lag
        yield degraded
        yield failures
