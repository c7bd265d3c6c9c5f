"""The trade sync's Prometheus view: lag since the last good pass, failed attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from runtime.sync.metrics import SyncCollector
from runtime.sync.worker import SyncWorker
from tests.runtime.sync.conftest import migrated


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _scrape(worker: SyncWorker) -> dict[str, tuple[str, float]]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SyncCollector(worker))
    text = generate_latest(registry).decode()
    return {
        sample.name: (family.type, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels == {"pool": "pool-1"}
    }


async def test_lag_counts_from_the_last_good_pass_and_failures_add_up(
    tmp_path: Path, bot_db: Path
) -> None:
    url = await migrated(f"sqlite+aiosqlite:///{tmp_path / 'target.sqlite3'}")
    clock = Clock()
    files = [("b1", bot_db), ("gone", tmp_path / "missing.sqlite")]
    worker = SyncWorker(url, "pool-1", lambda: files, clock=clock)
    try:
        clock.now += timedelta(seconds=7)  # no pass yet: the lag runs from the worker's start
        assert _scrape(worker) == {
            "cryptopilot_pool_sync_lag_seconds": ("gauge", 7.0),
            "cryptopilot_pool_sync_failures_total": ("counter", 0.0),
        }
        await worker.sync_now()  # b1 synced, the missing file fails: one failed attempt
        clock.now += timedelta(seconds=4)
        assert _scrape(worker) == {
            "cryptopilot_pool_sync_lag_seconds": ("gauge", 4.0),
            "cryptopilot_pool_sync_failures_total": ("counter", 1.0),
        }
    finally:
        await worker.close()


async def test_a_target_that_refuses_counts_and_the_lag_grows(tmp_path: Path) -> None:
    clock = Clock()
    unreachable = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'target.sqlite3'}"
    worker = SyncWorker(
        unreachable, "pool-1", lambda: [("b1", tmp_path / "b1.sqlite")], clock=clock
    )
    try:
        for _ in range(3):
            clock.now += timedelta(seconds=10)
            assert (await worker.sync_now())["target"]["ok"] is False
    finally:
        await worker.close()
    assert _scrape(worker) == {
        "cryptopilot_pool_sync_lag_seconds": ("gauge", 30.0),
        "cryptopilot_pool_sync_failures_total": ("counter", 3.0),
    }
