"""Portfolio chart series: stored snapshots bucketed into the dashboard's four time ranges.

Each range is cut into fixed buckets aligned to the Unix epoch (1h -> 5 min, 24h -> 30 min,
7d -> 4 h, 30d -> 24 h), the last bucket being the one that holds `now`. A bucket shows the
last snapshot taken in it. Buckets before the user's first snapshot show 0 and empty buckets
after it repeat the previous value, both without a dot (`show_point` False), so the line is
continuous and the dots mark real measurements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ChartRange:
    """One selectable time range of the chart."""

    name: str
    span: timedelta
    step: timedelta

    @property
    def buckets(self) -> int:
        return self.span // self.step


RANGES: dict[str, ChartRange] = {
    r.name: r
    for r in (
        ChartRange("1h", timedelta(hours=1), timedelta(minutes=5)),
        ChartRange("24h", timedelta(hours=24), timedelta(minutes=30)),
        ChartRange("7d", timedelta(days=7), timedelta(hours=4)),
        ChartRange("30d", timedelta(days=30), timedelta(hours=24)),
    )
}


@dataclass(frozen=True)
class Snapshot:
    """A stored portfolio snapshot (money in cents)."""

    at: datetime
    portfolio_value_cents: int
    total_pnl_cents: int
    active_bots: int
    bot_count: int


@dataclass(frozen=True)
class ChartPoint:
    """One bucket of a series."""

    start: datetime
    portfolio_value_cents: int
    total_pnl_cents: int
    active_bots: int
    bot_count: int
    show_point: bool
    snapshot_count: int


@dataclass(frozen=True)
class ChartSeries:
    """The points of one range; empty when the user has no snapshot yet."""

    range: ChartRange
    points: list[ChartPoint]
    start: datetime
    end: datetime


def window(chart: ChartRange, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the range's buckets: whole buckets, the last one containing `now`."""
    steps = (now - EPOCH) // chart.step
    end = EPOCH + (steps + 1) * chart.step
    return end - chart.buckets * chart.step, end


def bucket(
    chart: ChartRange,
    now: datetime,
    snapshots: Sequence[Snapshot],
    before: Snapshot | None = None,
) -> ChartSeries:
    """Bucket `snapshots` (any order, those outside the window ignored) into `chart`'s points.

    `before` is the user's last snapshot older than the window, if any: empty buckets at the
    start carry its value instead of 0.
    """
    start, end = window(chart, now)
    if before is None and not snapshots:
        return ChartSeries(chart, [], start, end)
    slots: list[list[Snapshot]] = [[] for _ in range(chart.buckets)]
    for snap in snapshots:
        if start <= snap.at < end:
            slots[(snap.at - start) // chart.step].append(snap)
    carried = before
    points = []
    for index, members in enumerate(slots):
        bucket_start = start + index * chart.step
        if members:
            carried = max(members, key=lambda s: s.at)
        points.append(_point(bucket_start, carried, len(members)))
    return ChartSeries(chart, points, start, end)


def _point(start: datetime, shown: Snapshot | None, count: int) -> ChartPoint:
    if shown is None:
        return ChartPoint(start, 0, 0, 0, 0, show_point=False, snapshot_count=0)
    return ChartPoint(
        start,
        shown.portfolio_value_cents,
        shown.total_pnl_cents,
        shown.active_bots,
        shown.bot_count,
        show_point=count > 0,
        snapshot_count=count,
    )
