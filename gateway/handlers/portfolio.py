"""P1-P4: the dashboard's portfolio, its chart and the positions table."""

from __future__ import annotations

from typing import cast

from aiohttp import web

from gateway.errors import BadInput
from gateway.handlers.common import principal, reply, services
from gateway.models.portfolio import (
    ChartPointBody,
    ChartsBody,
    IntervalBody,
    IntervalSeries,
    PortfolioBody,
    PositionsBody,
    TimeRange,
    portfolio_body,
    positions_body,
)
from gateway.routing import Access, Route
from gateway.services.common import iso
from gateway.services.dashboard.charts import RANGES, ChartPoint, ChartSeries
from gateway.services.dashboard.portfolio import PositionFilter
from gateway.services.dashboard.snapshots import SnapshotSummary
from gateway.services.money.money import from_cents

POSITION_FILTERS = ("open", "closed", "all")


async def get_portfolio(request: web.Request) -> web.Response:
    found = await services(request).portfolio.aggregate(principal(request).user_id)
    payload: PortfolioBody = portfolio_body(found)
    return reply(payload)


async def get_charts(request: web.Request) -> web.Response:
    user_id = principal(request).user_id
    store = services(request).snapshots
    series = await store.series(user_id, RANGES)
    payload: ChartsBody = charts_body(series, await store.summary(user_id))
    return reply(payload)


async def get_interval_chart(request: web.Request) -> web.Response:
    name = request.match_info["interval"]
    if name not in RANGES:
        raise BadInput(
            f"Invalid interval {name!r}; use one of {', '.join(RANGES)}", "INVALID_INTERVAL"
        )
    user_id = principal(request).user_id
    store = services(request).snapshots
    series = (await store.series(user_id, [name]))[name]
    payload: IntervalBody = interval_body(series, await store.summary(user_id))
    return reply(payload)


async def get_positions(request: web.Request) -> web.Response:
    status = request.query.get("status", "all")
    if status not in POSITION_FILTERS:
        raise BadInput("status must be one of open, closed, all", "INVALID_STATUS")
    found = await services(request).portfolio.positions(
        principal(request).user_id, cast(PositionFilter, status)
    )
    payload: PositionsBody = positions_body(found)
    return reply(payload)


def _chart_point(point: ChartPoint) -> ChartPointBody:
    return {
        "timestamp": int(point.start.timestamp() * 1000),
        "portfolioValue": from_cents(point.portfolio_value_cents),
        "totalPnL": from_cents(point.total_pnl_cents),
        "activeBots": point.active_bots,
        "botCount": point.bot_count,
        "showPoint": point.show_point,
        "snapshotCount": point.snapshot_count,
    }


def _time_range(series: ChartSeries) -> TimeRange | None:
    if not series.points:
        return None
    return {"start": iso(series.start) or "", "end": iso(series.end) or ""}


def interval_series(series: ChartSeries) -> IntervalSeries:
    data = [_chart_point(p) for p in series.points]
    return {"data": data, "dataPoints": len(data), "timeRange": _time_range(series)}


def charts_body(series: dict[str, ChartSeries], summary: SnapshotSummary) -> ChartsBody:
    return {
        "success": True,
        "intervals": {name: interval_series(s) for name, s in series.items()},
        "metadata": {
            "totalSnapshots": summary.count,
            "firstSnapshot": iso(summary.first),
            "lastSnapshot": iso(summary.last),
        },
    }


def interval_body(series: ChartSeries, summary: SnapshotSummary) -> IntervalBody:
    data = [_chart_point(p) for p in series.points]
    return {
        "success": True,
        "interval": series.range.name,
        "data": data,
        "metadata": {
            "totalSnapshots": summary.count,
            "dataPoints": len(data),
            "firstSnapshot": iso(summary.first),
            "lastSnapshot": iso(summary.last),
            "timeRange": _time_range(series),
        },
    }


ROUTES = [
    Route("GET", "/api/freqtrade/portfolio", get_portfolio, Access.USER,
          "Value, P&L and open trades of all the caller's bots (asked in parallel)",
          PortfolioBody, tag="portfolio"),
    Route("GET", "/api/freqtrade/charts/portfolio", get_charts, Access.USER,
          "Portfolio value over the last 1h, 24h, 7d and 30d from stored snapshots",
          ChartsBody, tag="portfolio"),
    Route("GET", "/api/freqtrade/charts/portfolio/{interval}", get_interval_chart, Access.USER,
          "Portfolio value over one range (1h, 24h, 7d, 30d); 400 INVALID_INTERVAL otherwise",
          IntervalBody, tag="portfolio"),
    Route("GET", "/api/freqtrade/portfolio/positions", get_positions, Access.USER,
          "Open and/or closed trades of all the caller's bots (?status=open|closed|all)",
          PositionsBody, tag="portfolio"),
]  # fmt: skip
