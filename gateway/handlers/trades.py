"""The caller's synced trade history across all their bots (docs/sync.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from aiohttp import web

from gateway.errors import BadInput
from gateway.handlers.common import principal, reply, services
from gateway.models.trades import TradesResponse, trades_response
from gateway.routing import Access, Route
from gateway.services.trading.trades import MAX_PAGE_SIZE, TradeQuery, TradeStatus

STATUSES = ("open", "closed", "all")


def _date(raw: str | None, name: str) -> datetime | None:
    """An ISO 8601 date or time (UTC when no zone is given), or 400 INVALID_DATE."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{name} must be an ISO 8601 date or time", "INVALID_DATE") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _positive(raw: str | None, name: str, default: int, most: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (most is not None and value > most):
        limit = f" and at most {most}" if most is not None else ""
        raise BadInput(f"{name} must be a whole number from 1{limit}", "INVALID_PAGE")
    return value


def parse_query(request: web.Request, user_id: str) -> TradeQuery:
    """The query string as a TradeQuery; 400 on a bad status, date or page."""
    query = request.query
    status = query.get("status", "all")
    if status not in STATUSES:
        raise BadInput("status must be one of open, closed, all", "INVALID_STATUS")
    start = _date(query.get("from"), "from")
    end = _date(query.get("to"), "to")
    if start is not None and end is not None and start >= end:
        raise BadInput("from must be before to", "INVALID_DATE")
    return TradeQuery(
        user_id=user_id,
        status=cast(TradeStatus, status),
        bot_id=query.get("bot") or None,
        pair=query.get("pair") or None,
        start=start,
        end=end,
        page=_positive(query.get("page"), "page", 1),
        page_size=_positive(query.get("pageSize"), "pageSize", 50, MAX_PAGE_SIZE),
    )


async def get_trades(request: web.Request) -> web.Response:
    query = parse_query(request, principal(request).user_id)
    history = services(request).trades
    payload: TradesResponse = trades_response(await history.search(query), query)
    return reply(payload)


ROUTES = [
    Route("GET", "/api/freqtrade/trades", get_trades, Access.USER,
          "Synced trades of the caller's bots, newest first, with P&L by bot, strategy and pair"
          " (?status=open|closed|all&bot=&pair=&from=&to=&page=&pageSize<=200)",
          TradesResponse, tag="portfolio"),
]  # fmt: skip
