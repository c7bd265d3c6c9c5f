"""Holdings read from the summaries bots publish to their pools (the default source).

Each bot writes FreqTrade's own `/status`, `/balance` and `/trades` answers to its folder
after every loop pass (runtime/summary/); its pool serves all of them in one call
(`GET /summaries`). So an aggregation makes one call per pool holding the user's bots, all
pools at once, and no bot spends CPU on it however many dashboards are open. A summary older
than `max_age` seconds, or missing, makes that bot's entry an `error`, as an unanswering bot
does on the per-bot path; a pool that does not answer does so for all its bots.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gateway.errors import ApiError
from gateway.services.dashboard.portfolio import (
    BotHoldings,
    BotTrades,
    PositionFilter,
    holdings_from,
    settle_holdings,
    settle_trades,
    trades_from,
    unavailable_reason,
)
from gateway.services.pools.directory import PoolDirectory
from gateway.services.trading.botstore import BotRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")


class SummarySource:
    """A `HoldingsSource` that reads the pools' published bot summaries."""

    def __init__(self, pools: PoolDirectory, *, timeout: float, max_age: float) -> None:
        self.pools = pools
        self.timeout = timeout
        self.max_age = max_age

    async def holdings(self, records: Sequence[BotRecord]) -> list[BotHoldings]:
        def build(bot: BotRecord, entry: dict[str, Any]) -> BotHoldings:
            return holdings_from(bot, entry["status"], entry["balance"])

        results = await self._read(records, closed=False, build=build)
        return settle_holdings(records, results)

    async def trades(self, records: Sequence[BotRecord], status: PositionFilter) -> list[BotTrades]:
        def build(bot: BotRecord, entry: dict[str, Any]) -> BotTrades:
            open_trades = entry["status"] if status != "closed" else []
            closed_trades = entry["closed"]["trades"] if status != "open" else []
            return trades_from(bot, open_trades, closed_trades)

        results = await self._read(records, closed=status != "open", build=build)
        return settle_trades(records, results)

    async def _read(
        self,
        records: Sequence[BotRecord],
        *,
        closed: bool,
        build: Callable[[BotRecord, dict[str, Any]], T],
    ) -> list[T | str]:
        """One `GET /summaries` per pool, all at once; per record its value or why not."""
        by_pool: dict[str, list[BotRecord]] = {}
        answers: dict[str, T | str] = {}
        for bot in records:
            reason = unavailable_reason(bot)
            if reason is None and bot.pool_id is None:
                reason = "Bot has not started yet"
            if reason is not None:
                answers[bot.id] = reason
            else:
                assert bot.pool_id is not None  # noqa: S101 - checked above
                by_pool.setdefault(bot.pool_id, []).append(bot)

        async def one_pool(pool_id: str, bots: list[BotRecord]) -> None:
            found = await self._summaries(pool_id, [b.id for b in bots], closed)
            for bot in bots:
                entry = found if isinstance(found, str) else found.get(bot.id)
                answers[bot.id] = self._value(bot, entry, build)

        await asyncio.gather(*(one_pool(pool_id, bots) for pool_id, bots in by_pool.items()))
        return [answers[bot.id] for bot in records]

    async def _summaries(
        self, pool_id: str, bot_ids: list[str], closed: bool
    ) -> dict[str, dict[str, Any]] | str:
        try:
            control = self.pools.control(pool_id)
            return await control.summaries(bot_ids, closed=closed, timeout=self.timeout)
        except ApiError as exc:
            logger.info("pool %s left out of aggregation: %s", pool_id, exc.message)
            return exc.message

    def _value(
        self,
        bot: BotRecord,
        entry: str | dict[str, Any] | None,
        build: Callable[[BotRecord, dict[str, Any]], T],
    ) -> T | str:
        if isinstance(entry, str):
            return entry
        if entry is None:
            return "Bot is not on its pool"
        if "error" in entry:
            return str(entry["error"])
        try:
            age = float(entry["age_s"])
            if age > self.max_age:
                return f"Bot has not reported for {age:.0f} s"
            return build(bot, entry)
        except (KeyError, TypeError, ValueError) as exc:
            logger.info("bot %s summary unreadable: %r", bot.id, exc)
            return f"Bot summary unreadable ({type(exc).__name__})"
