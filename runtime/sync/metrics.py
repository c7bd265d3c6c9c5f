"""Prometheus view of the trade sync: seconds since its last good pass, failures so far."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime.sync.worker import SyncWorker


class SyncCollector(Collector):
    """Reads the sync worker's state on each scrape (registered only when sync is on)."""

    def __init__(self, worker: SyncWorker) -> None:
        self.worker = worker

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        pool_id = self.worker.pool_id
        lag = GaugeMetricFamily(
            "cryptopilot_pool_sync_lag_seconds",
            "Seconds since the trade sync's last successful pass (since it started, before one)",
            labels=["pool"],
        )
        lag.add_metric([pool_id], self.worker.seconds_since_pass())
        failures = CounterMetricFamily(
            "cryptopilot_pool_sync_failures",
            "Failed trade-sync attempts: passes the target refused, bots that could not be read",
            labels=["pool"],
        )
        failures.add_metric([pool_id], self.worker.failures_total)
        yield lag
        yield failures
