"""Cross-bot trade history from the synced copies of the bots' FreqTrade databases.

The pools' sync workers (runtime/sync/, docs/sync.md) fill `bot_trades`; this reads it for one
user (their bots only, deleted trades left out): a page of trades, newest first, and the P&L
of the period by bot, by strategy and by pair, summed by the database. P&L here is FreqTrade's
float profit in each bot's stake currency, not wallet cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.db.database import Database
from migrations.schema import bot_trades, bots

TradeStatus = Literal["open", "closed", "all"]
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class TradeQuery:
    """What the caller asked for; `start`/`end` bound the trade's open or close time."""

    user_id: str
    status: TradeStatus = "all"
    bot_id: str | None = None
    pair: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class TradeRow:
    """One synced trade."""

    bot_id: str
    trade_id: int
    pair: str
    is_open: bool
    is_short: bool
    amount: float | None
    stake_amount: float | None
    open_rate: float | None
    close_rate: float | None
    open_date: datetime
    close_date: datetime | None
    realized_profit: float | None
    close_profit: float | None
    close_profit_abs: float | None
    exit_reason: str | None
    strategy: str | None
    stake_currency: str | None


@dataclass(frozen=True)
class PnlGroup:
    """Closed-trade P&L of one bot, strategy or pair, plus its open-trade count."""

    key: str
    closed_trades: int
    open_trades: int
    profit_abs: float


@dataclass(frozen=True)
class TradePage:
    """A page of trades, the total matching, and the period's P&L groups."""

    trades: list[TradeRow]
    total: int
    by_bot: list[PnlGroup]
    by_strategy: list[PnlGroup]
    by_pair: list[PnlGroup]


_ROW_COLUMNS = [bot_trades.c[name] for name in TradeRow.__dataclass_fields__]


class TradeHistory:
    """Reads the synced trades of a user's bots."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def search(self, query: TradeQuery) -> TradePage:
        where = self._filters(query)
        base = select(*_ROW_COLUMNS).select_from(_joined()).where(*where)
        newest = func.coalesce(bot_trades.c.close_date, bot_trades.c.open_date)
        page = (
            base.order_by(newest.desc(), bot_trades.c.bot_id, bot_trades.c.trade_id.desc())
            .limit(query.page_size)
            .offset((query.page - 1) * query.page_size)
        )
        count = select(func.count()).select_from(_joined()).where(*where)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(page)).all()
            total = int((await conn.execute(count)).scalar_one())
            groups = [
                await self._groups(conn, column, where)
                for column in (bot_trades.c.bot_id, bot_trades.c.strategy, bot_trades.c.pair)
            ]
        trades = [TradeRow(**row._mapping) for row in rows]
        return TradePage(trades, total, *groups)

    @staticmethod
    def _filters(query: TradeQuery) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [
            bots.c.user_id == query.user_id,
            bot_trades.c.deleted_at.is_(None),
        ]
        if query.status != "all":
            where.append(bot_trades.c.is_open.is_(query.status == "open"))
        if query.bot_id:
            where.append(bot_trades.c.bot_id == query.bot_id)
        if query.pair:
            where.append(bot_trades.c.pair == query.pair)
        # In the period: opened in it, closed in it, or open across it.
        if query.start is not None:
            where.append(
                or_(
                    bot_trades.c.open_date >= query.start,
                    bot_trades.c.close_date >= query.start,
                    bot_trades.c.is_open.is_(True),
                )
            )
        if query.end is not None:
            where.append(bot_trades.c.open_date < query.end)
        return where

    async def _groups(
        self, conn: AsyncConnection, column: Any, where: list[ColumnElement[bool]]
    ) -> list[PnlGroup]:
        closed = bot_trades.c.is_open.is_(False)
        profit = func.coalesce(bot_trades.c.close_profit_abs, 0.0)
        query = (
            select(
                column,
                func.sum(_when(closed, 1, 0)),
                func.sum(_when(closed, 0, 1)),
                func.sum(_when(closed, profit, 0.0)),
            )
            .select_from(_joined())
            .where(*where)
            .group_by(column)
            .order_by(column)
        )
        return [
            PnlGroup(key or "", int(n_closed or 0), int(n_open or 0), float(pnl or 0.0))
            for key, n_closed, n_open, pnl in (await conn.execute(query)).all()
        ]


def _joined() -> Any:
    return bot_trades.join(bots, bots.c.id == bot_trades.c.bot_id)


def _when(condition: ColumnElement[bool], then: Any, otherwise: Any) -> Any:
    return case((condition, then), else_=otherwise)
