"""Wire models of `GET /api/freqtrade/trades`: synced trade history (not in the contract)."""

from __future__ import annotations

from typing import Literal, TypedDict

from gateway.services.common import iso
from gateway.services.trading.trades import PnlGroup, TradePage, TradeQuery, TradeRow


class TradeBody(TypedDict):
    """One synced FreqTrade trade; money fields are floats in the bot's stake currency."""

    botId: str
    tradeId: int
    pair: str
    status: Literal["open", "closed"]
    isShort: bool
    amount: float | None
    stakeAmount: float | None
    openRate: float | None
    closeRate: float | None
    openDate: str | None
    closeDate: str | None
    realizedProfit: float | None
    profitRatio: float | None
    profitAbs: float | None
    exitReason: str | None
    strategy: str | None
    stakeCurrency: str | None


class PnlGroupBody(TypedDict):
    """P&L of the closed trades of one bot, strategy or pair in the period."""

    key: str
    closedTrades: int
    openTrades: int
    profitAbs: float


class TradeSummary(TypedDict):
    """The period's P&L grouped three ways (all pages, not only this one)."""

    byBot: list[PnlGroupBody]
    byStrategy: list[PnlGroupBody]
    byPair: list[PnlGroupBody]
    totalProfitAbs: float


class TradesData(TypedDict):
    """A page of trades, newest first."""

    trades: list[TradeBody]
    page: int
    pageSize: int
    total: int
    totalPages: int
    summary: TradeSummary


class TradesResponse(TypedDict):
    """GET /api/freqtrade/trades."""

    success: bool
    data: TradesData


def trade_body(row: TradeRow) -> TradeBody:
    return {
        "botId": row.bot_id,
        "tradeId": row.trade_id,
        "pair": row.pair,
        "status": "open" if row.is_open else "closed",
        "isShort": row.is_short,
        "amount": row.amount,
        "stakeAmount": row.stake_amount,
        "openRate": row.open_rate,
        "closeRate": row.close_rate,
        "openDate": iso(row.open_date),
        "closeDate": iso(row.close_date),
        "realizedProfit": row.realized_profit,
        "profitRatio": row.close_profit,
        "profitAbs": row.close_profit_abs,
        "exitReason": row.exit_reason,
        "strategy": row.strategy,
        "stakeCurrency": row.stake_currency,
    }


def _group(group: PnlGroup) -> PnlGroupBody:
    return {
        "key": group.key,
        "closedTrades": group.closed_trades,
        "openTrades": group.open_trades,
        "profitAbs": group.profit_abs,
    }


def trades_response(found: TradePage, query: TradeQuery) -> TradesResponse:
    pages = (found.total + query.page_size - 1) // query.page_size
    return {
        "success": True,
        "data": {
            "trades": [trade_body(row) for row in found.trades],
            "page": query.page,
            "pageSize": query.page_size,
            "total": found.total,
            "totalPages": pages,
            "summary": {
                "byBot": [_group(g) for g in found.by_bot],
                "byStrategy": [_group(g) for g in found.by_strategy],
                "byPair": [_group(g) for g in found.by_pair],
                "totalProfitAbs": sum(g.profit_abs for g in found.by_bot),
            },
        },
    }
