"""Chart bucketing (pure, fixed clock) and the snapshot store that feeds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.keys import SERVICES
from gateway.services.dashboard.charts import RANGES, Snapshot, bucket, window
from gateway.services.dashboard.portfolio import BotHoldings, Portfolio
from tests.gateway.conftest import ClientFactory, register_and_login

NOW = datetime(2025, 3, 10, 12, 7, 30, tzinfo=UTC)


def snap(at: datetime, value: int, pnl: int = 0, active: int = 1) -> Snapshot:
    return Snapshot(at, value, pnl, active, active)


def test_window_is_whole_buckets_ending_after_now() -> None:
    start, end = window(RANGES["1h"], NOW)
    assert end == datetime(2025, 3, 10, 12, 10, tzinfo=UTC)
    assert start == end - timedelta(hours=1)
    assert [RANGES[n].buckets for n in ("1h", "24h", "7d", "30d")] == [12, 48, 42, 30]
    start, end = window(RANGES["30d"], NOW)
    assert end == datetime(2025, 3, 11, tzinfo=UTC) and start == end - timedelta(days=30)
    start, end = window(RANGES["7d"], NOW)
    assert end == datetime(2025, 3, 10, 16, tzinfo=UTC)


def test_no_snapshots_is_an_empty_series() -> None:
    series = bucket(RANGES["24h"], NOW, [])
    assert series.points == []


def test_last_snapshot_of_a_bucket_wins_and_gaps_carry_without_dots() -> None:
    start, _ = window(RANGES["1h"], NOW)
    snaps = [
        snap(start + timedelta(minutes=21), 100_00),  # bucket 4
        snap(start + timedelta(minutes=24, seconds=59), 105_00, 5_00),  # bucket 4, later
        snap(start + timedelta(minutes=40), 99_00, -1_00),  # bucket 8
        snap(start - timedelta(minutes=1), 1, 1),  # outside the window: ignored
    ]
    points = bucket(RANGES["1h"], NOW, list(reversed(snaps))).points
    assert len(points) == 12
    assert [p.start - start for p in points[:2]] == [timedelta(0), timedelta(minutes=5)]
    # Before the first snapshot: zero, no dot.
    assert all(p.portfolio_value_cents == 0 and not p.show_point for p in points[:4])
    assert (points[4].portfolio_value_cents, points[4].total_pnl_cents) == (105_00, 5_00)
    assert points[4].show_point and points[4].snapshot_count == 2
    # Empty buckets after it carry the previous value without a dot.
    assert [p.portfolio_value_cents for p in points[5:8]] == [105_00] * 3
    assert not any(p.show_point for p in points[5:8])
    assert points[8].portfolio_value_cents == 99_00 and points[8].snapshot_count == 1
    assert [p.portfolio_value_cents for p in points[9:]] == [99_00] * 3


def test_a_snapshot_before_the_window_fills_its_start() -> None:
    start, _ = window(RANGES["24h"], NOW)
    before = snap(start - timedelta(hours=3), 70_00)
    points = bucket(RANGES["24h"], NOW, [snap(start + timedelta(hours=2), 80_00)], before).points
    assert [p.portfolio_value_cents for p in points[:5]] == [70_00, 70_00, 70_00, 70_00, 80_00]
    assert [p.show_point for p in points[:5]] == [False, False, False, False, True]
    only_before = bucket(RANGES["24h"], NOW, [], before).points
    assert len(only_before) == 48 and {p.portfolio_value_cents for p in only_before} == {70_00}


def _portfolio(user_id: str, at: datetime, balance: int, starting: int) -> Portfolio:
    bots = [BotHoldings("b1", [], balance, starting, 0), BotHoldings("b2", [], 0, 0, 0, "down")]
    return Portfolio(user_id, at, bots)


async def test_snapshot_store_round_trip(make_client: ClientFactory) -> None:
    client = await make_client(app_kwargs={"clock": lambda: NOW})
    user_id = (await register_and_login(client)).user_id
    store = client.app[SERVICES].snapshots
    first = NOW - timedelta(days=3)
    await store.record(_portfolio(user_id, first, 90_000, 100_000))
    await store.record(_portfolio(user_id, NOW - timedelta(minutes=1), 101_000, 100_000))

    summary = await store.summary(user_id)
    assert (summary.count, summary.first, summary.last) == (2, first, NOW - timedelta(minutes=1))
    series = await store.series(user_id, RANGES)
    last_hour = series["1h"].points
    # The 3-day-old snapshot is carried into the 1h range, the recent one shows with a dot.
    assert {p.portfolio_value_cents for p in last_hour[:-1]} == {90_000}
    assert last_hour[-1].portfolio_value_cents == 101_000 and last_hour[-1].show_point
    assert (last_hour[-1].total_pnl_cents, last_hour[-1].active_bots) == (1_000, 1)
    assert last_hour[-1].bot_count == 2
    assert sum(p.snapshot_count for p in series["30d"].points) == 2
    assert (await store.series(user_id, ["7d"]))["7d"].points == series["7d"].points

    await store.prune(NOW - timedelta(days=1))
    assert (await store.summary(user_id)).count == 1
