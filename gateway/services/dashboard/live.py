"""Holdings read from each bot's own FreqTrade API (`portfolio_source = "bots"`).

Asks every usable bot for `/api/v1/status` and `/api/v1/balance` (and `/api/v1/trades` for
closed positions), at most `concurrency` bots at a time and each within `timeout` seconds.
Each read costs the bot a few milliseconds of CPU, for every dashboard open: the published
summaries (published.py) are the default; this path stays for comparison (bench/portfolio.py)
and for pools older than `GET /summaries`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
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
from gateway.services.trading.botapi import BotApiClient
from gateway.services.trading.botstore import BotEndpoint, BotRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")
CLOSED_TRADES_PATH = "/api/v1/trades?limit=500&order_by_id=false"


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Bot did not answer in time"
    if isinstance(exc, ApiError):
        return exc.message
    return f"Bot answered unexpectedly ({type(exc).__name__})"


class BotApiSource:
    """A `HoldingsSource` that calls every bot's FreqTrade API."""

    def __init__(self, api: BotApiClient, *, timeout: float, concurrency: int) -> None:
        self.api = api
        self.timeout = timeout
        self.concurrency = max(1, concurrency)

    async def holdings(self, records: Sequence[BotRecord]) -> list[BotHoldings]:
        results = await self._each(records, self._holdings)
        return settle_holdings(records, results)

    async def trades(self, records: Sequence[BotRecord], status: PositionFilter) -> list[BotTrades]:
        async def fetch(bot: BotRecord, endpoint: BotEndpoint) -> BotTrades:
            return await self._trades(bot, endpoint, status)

        results = await self._each(records, fetch)
        return settle_trades(records, results)

    async def _each(
        self,
        records: Sequence[BotRecord],
        fetch: Callable[[BotRecord, BotEndpoint], Awaitable[T]],
    ) -> list[T | str]:
        """Run `fetch` for every usable bot, `concurrency` at a time; an error text otherwise."""
        limit = asyncio.Semaphore(self.concurrency)

        async def one(bot: BotRecord) -> T | str:
            reason = unavailable_reason(bot)
            if reason is not None:
                return reason
            assert bot.endpoint is not None  # noqa: S101 - unavailable_reason checked it
            async with limit:
                # The deadline starts with the bot's turn: waiting for a slot is not its fault.
                try:
                    async with asyncio.timeout(self.timeout):
                        return await fetch(bot, bot.endpoint)
                except (TimeoutError, ApiError, ValueError, TypeError, KeyError) as exc:
                    logger.info("bot %s left out of aggregation: %r", bot.id, exc)
                    return _error_text(exc)

        return list(await asyncio.gather(*(one(bot) for bot in records)))

    async def _holdings(self, bot: BotRecord, endpoint: BotEndpoint) -> BotHoldings:
        status, balance = await asyncio.gather(
            self.api.get_json(endpoint, "/api/v1/status", self.timeout),
            self.api.get_json(endpoint, "/api/v1/balance", self.timeout),
        )
        return holdings_from(bot, status, balance)

    async def _trades(
        self, bot: BotRecord, endpoint: BotEndpoint, status: PositionFilter
    ) -> BotTrades:
        calls: list[Awaitable[Any]] = []
        if status in ("open", "all"):
            calls.append(self.api.get_json(endpoint, "/api/v1/status", self.timeout))
        if status in ("closed", "all"):
            calls.append(self.api.get_json(endpoint, CLOSED_TRADES_PATH, self.timeout))
        answers = list(await asyncio.gather(*calls))
        open_trades: Any = answers.pop(0) if status != "closed" else []
        closed_trades: Any = answers.pop(0)["trades"] if answers else []
        return trades_from(bot, open_trades, closed_trades)
