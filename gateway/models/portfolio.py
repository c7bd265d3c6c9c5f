"""Wire models of P1-P4 and the SSE events (contract §3.5, §4.1), and the portfolio builders.

The portfolio and positions builders live here rather than in a handler because the SSE hub
sends the same objects.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from gateway.services.dashboard.portfolio import BotHoldings, Portfolio, Positions
from gateway.services.money.money import from_cents


class BotMetrics(TypedDict):
    """A bot's value (FreqTrade balance `total`), funded wallet and P&L; zeros on error."""

    totalBalance: float
    totalPnL: float
    startingCapital: float
    openTrades: int


class BotAggregate(TypedDict):
    """One bot in P1: `status` (FreqTrade's open trades) when reachable, else `error`."""

    instanceId: str
    status: NotRequired[list[dict[str, Any]]]
    error: NotRequired[str]
    metrics: BotMetrics


class PortfolioBody(TypedDict):
    """P1 and the SSE `portfolio` event."""

    success: bool
    timestamp: int
    portfolioValue: float
    totalBalance: float
    totalPnL: float
    totalStartingCapital: float
    startingBalance: float
    profitLossPercentage: float
    activeBots: int
    botCount: int
    bots: list[BotAggregate]


class PositionRow(TypedDict):
    """One trade: the table's names (entryPrice, pnl...) and FreqTrade's detailed ones."""

    botId: str
    tradeId: int
    pair: str
    side: Literal["long", "short"]
    status: Literal["open", "closed"]
    amount: float
    entryPrice: float
    currentPrice: float
    pnl: float
    pnlPercent: float
    isOpen: bool
    isShort: bool
    stakeAmount: float
    openRate: float
    currentRate: float
    profitAbs: float
    profitRatio: float
    profitPct: float
    totalProfitAbs: float
    openDate: str | None
    openTimestamp: int | None
    closeDate: str | None
    exitReason: str | None
    stopLossAbs: float | None


class PositionsSummary(TypedDict):
    """Totals over the rows returned."""

    totalPositions: int
    openPositions: int
    closedPositions: int
    totalPnL: float
    unrealizedPnL: float
    realizedPnL: float
    totalStakeAmount: float


class BotError(TypedDict):
    """A bot left out of the positions and why."""

    botId: str
    error: str


class PositionsMetadata(TypedDict):
    """What was asked and which bots answered."""

    timestamp: int
    status: Literal["open", "closed", "all"]
    botCount: int
    botsQueried: int
    errors: list[BotError]


class PositionsBody(TypedDict):
    """P4."""

    success: bool
    positions: list[PositionRow]
    count: int
    summary: PositionsSummary
    metadata: PositionsMetadata


class PositionsEvent(TypedDict):
    """The SSE `positions` event: open positions only."""

    positions: list[PositionRow]
    count: int


class ConnectedEvent(TypedDict):
    """The first SSE event."""

    timestamp: int
    status: str


class StreamEvents(TypedDict):
    """X1: `text/event-stream` with these events (and `: ping` comments)."""

    connected: ConnectedEvent
    portfolio: PortfolioBody
    positions: PositionsEvent


class ChartPointBody(TypedDict):
    """One chart bucket: the last snapshot in it (`showPoint` false when carried or empty)."""

    timestamp: int
    portfolioValue: float
    totalPnL: float
    activeBots: int
    botCount: int
    showPoint: bool
    snapshotCount: int


class TimeRange(TypedDict):
    """Start and end of a series (ISO)."""

    start: str
    end: str


class IntervalSeries(TypedDict):
    """One range in P2."""

    data: list[ChartPointBody]
    dataPoints: int
    timeRange: TimeRange | None


class ChartsMetadata(TypedDict):
    """The user's snapshots overall."""

    totalSnapshots: int
    firstSnapshot: str | None
    lastSnapshot: str | None


class ChartsBody(TypedDict):
    """P2: every range at once."""

    success: bool
    intervals: dict[str, IntervalSeries]
    metadata: ChartsMetadata


class IntervalMetadata(TypedDict):
    """P3 metadata."""

    totalSnapshots: int
    dataPoints: int
    firstSnapshot: str | None
    lastSnapshot: str | None
    timeRange: TimeRange | None


class IntervalBody(TypedDict):
    """P3: one range."""

    success: bool
    interval: str
    data: list[ChartPointBody]
    metadata: IntervalMetadata


def millis(portfolio_or_positions: Portfolio | Positions) -> int:
    return int(portfolio_or_positions.at.timestamp() * 1000)


def _bot_aggregate(bot: BotHoldings) -> BotAggregate:
    if bot.error is not None:
        zero: BotMetrics = {"totalBalance": 0, "totalPnL": 0, "startingCapital": 0, "openTrades": 0}
        return {"instanceId": bot.bot_id, "error": bot.error, "metrics": zero}
    return {
        "instanceId": bot.bot_id,
        "status": bot.open_trades,
        "metrics": {
            "totalBalance": from_cents(bot.balance_cents),
            "totalPnL": from_cents(bot.pnl_cents),
            "startingCapital": from_cents(bot.starting_cents),
            "openTrades": len(bot.open_trades),
        },
    }


def portfolio_body(portfolio: Portfolio) -> PortfolioBody:
    value = from_cents(portfolio.value_cents)
    starting = from_cents(portfolio.starting_cents)
    percent = (
        round(portfolio.pnl_cents * 100 / portfolio.starting_cents, 4)
        if portfolio.starting_cents
        else 0.0
    )
    return {
        "success": True,
        "timestamp": millis(portfolio),
        "portfolioValue": value,
        "totalBalance": value,
        "totalPnL": from_cents(portfolio.pnl_cents),
        "totalStartingCapital": starting,
        "startingBalance": starting,
        "profitLossPercentage": percent,
        "activeBots": portfolio.active_bots,
        "botCount": portfolio.bot_count,
        "bots": [_bot_aggregate(b) for b in portfolio.bots],
    }


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _optional_number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def position_row(bot_id: str, trade: dict[str, Any]) -> PositionRow:
    """A FreqTrade trade object (from /status or /trades) as a positions-table row."""
    is_open = bool(trade.get("is_open"))
    is_short = bool(trade.get("is_short"))
    current = trade.get("current_rate") if is_open else trade.get("close_rate")
    profit_abs = _number(trade.get("profit_abs"))
    profit_pct = _number(trade.get("profit_pct"))
    open_timestamp = trade.get("open_timestamp")
    return {
        "botId": bot_id,
        "tradeId": int(trade.get("trade_id") or 0),
        "pair": str(trade.get("pair", "")),
        "side": "short" if is_short else "long",
        "status": "open" if is_open else "closed",
        "amount": _number(trade.get("amount")),
        "entryPrice": _number(trade.get("open_rate")),
        "currentPrice": _number(current),
        "pnl": profit_abs,
        "pnlPercent": profit_pct,
        "isOpen": is_open,
        "isShort": is_short,
        "stakeAmount": _number(trade.get("stake_amount")),
        "openRate": _number(trade.get("open_rate")),
        "currentRate": _number(current),
        "profitAbs": profit_abs,
        "profitRatio": _number(trade.get("profit_ratio")),
        "profitPct": profit_pct,
        "totalProfitAbs": _number(trade.get("total_profit_abs", trade.get("profit_abs"))),
        "openDate": trade.get("open_date"),
        "openTimestamp": open_timestamp if isinstance(open_timestamp, int) else None,
        "closeDate": trade.get("close_date"),
        "exitReason": trade.get("exit_reason"),
        "stopLossAbs": _optional_number(trade.get("stop_loss_abs")),
    }


def _newest_first(rows: list[PositionRow]) -> list[PositionRow]:
    return sorted(rows, key=lambda r: r["openTimestamp"] or 0, reverse=True)


def open_rows(portfolio: Portfolio) -> list[PositionRow]:
    rows = [position_row(b.bot_id, t) for b in portfolio.reachable for t in b.open_trades]
    return _newest_first(rows)


def positions_event(portfolio: Portfolio) -> PositionsEvent:
    rows = open_rows(portfolio)
    return {"positions": rows, "count": len(rows)}


def positions_body(found: Positions) -> PositionsBody:
    opened = [position_row(b.bot_id, t) for b in found.bots for t in b.open_trades]
    closed = [position_row(b.bot_id, t) for b in found.bots for t in b.closed_trades]
    rows = _newest_first(opened) + sorted(closed, key=lambda r: r["closeDate"] or "", reverse=True)
    unrealized = sum(r["pnl"] for r in opened)
    realized = sum(r["pnl"] for r in closed)
    errors: list[BotError] = [
        {"botId": b.bot_id, "error": b.error} for b in found.bots if b.error is not None
    ]
    return {
        "success": True,
        "positions": rows,
        "count": len(rows),
        "summary": {
            "totalPositions": len(rows),
            "openPositions": len(opened),
            "closedPositions": len(closed),
            "totalPnL": round(unrealized + realized, 8),
            "unrealizedPnL": round(unrealized, 8),
            "realizedPnL": round(realized, 8),
            "totalStakeAmount": round(sum(r["stakeAmount"] for r in opened), 8),
        },
        "metadata": {
            "timestamp": millis(found),
            "status": found.status,
            "botCount": len(found.bots),
            "botsQueried": len(found.bots) - len(errors),
            "errors": errors,
        },
    }
