"""What a user's bots hold right now: balances and trades fetched from every bot in parallel.

One aggregation asks each of the user's bots for `/api/v1/status` (open trades) and
`/api/v1/balance`, at most `concurrency` bots at a time and each within `timeout` seconds. A
bot that is stopped, not placed yet, slow or down becomes an entry with an `error` instead of
failing the whole answer: the dashboard must always get a portfolio.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from gateway.errors import ApiError
from gateway.services.common import Clock
from gateway.services.money.money import to_cents
from gateway.services.money.wallet import WalletService
from gateway.services.trading.botapi import BotApiClient
from gateway.services.trading.botstore import BotEndpoint, BotRecord, BotStore

logger = logging.getLogger(__name__)

T = TypeVar("T")
PositionFilter = Literal["open", "closed", "all"]
CLOSED_TRADES_PATH = "/api/v1/trades?limit=500&order_by_id=false"


@dataclass(frozen=True)
class BotHoldings:
    """One bot inside an aggregation: its open trades and value, or why it could not be read."""

    bot_id: str
    # FreqTrade's /api/v1/status array, unchanged (the dashboard treats an array as "running").
    open_trades: list[dict[str, Any]]
    balance_cents: int
    starting_cents: int
    reserved_cents: int
    error: str | None = None

    @property
    def pnl_cents(self) -> int:
        return self.balance_cents - self.starting_cents


@dataclass(frozen=True)
class Portfolio:
    """A user's bots at one moment; totals count only the bots that answered."""

    user_id: str
    at: datetime
    bots: list[BotHoldings]

    @property
    def reachable(self) -> list[BotHoldings]:
        return [b for b in self.bots if b.error is None]

    @property
    def value_cents(self) -> int:
        return sum(b.balance_cents for b in self.reachable)

    @property
    def starting_cents(self) -> int:
        return sum(b.starting_cents for b in self.reachable)

    @property
    def pnl_cents(self) -> int:
        return self.value_cents - self.starting_cents

    @property
    def active_bots(self) -> int:
        return len(self.reachable)

    @property
    def bot_count(self) -> int:
        return len(self.bots)


@dataclass(frozen=True)
class BotTrades:
    """One bot's trades for the positions table (FreqTrade trade objects), or its error."""

    bot_id: str
    open_trades: list[dict[str, Any]]
    closed_trades: list[dict[str, Any]]
    error: str | None = None


@dataclass(frozen=True)
class Positions:
    """Every bot's trades of one user at one moment."""

    user_id: str
    at: datetime
    status: PositionFilter
    bots: list[BotTrades]


def _unavailable_reason(bot: BotRecord) -> str | None:
    if bot.desired_state != "running":
        return f"Bot is {bot.desired_state}"
    if bot.endpoint is None:
        return "Bot has not started yet"
    return None


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Bot did not answer in time"
    if isinstance(exc, ApiError):
        return exc.message
    return f"Bot answered unexpectedly ({type(exc).__name__})"


class PortfolioService:
    """Aggregates a user's bots; keeps the wallet's allocation values in step with them."""

    def __init__(
        self,
        *,
        bots: BotStore,
        api: BotApiClient,
        wallet: WalletService,
        clock: Clock,
        timeout: float,
        concurrency: int,
    ) -> None:
        self.bots = bots
        self.api = api
        self.wallet = wallet
        self.clock = clock
        self.timeout = timeout
        self.concurrency = max(1, concurrency)

    async def aggregate(self, user_id: str) -> Portfolio:
        """Balances and open trades of every bot of the user; updates allocation values."""
        records = await self.bots.list_for_user(user_id)
        results = await self._each(records, self._holdings)
        holdings = [
            result if isinstance(result, BotHoldings) else _failed_holdings(bot, result)
            for bot, result in zip(records, results, strict=True)
        ]
        portfolio = Portfolio(user_id, self.clock(), holdings)
        values = {
            b.bot_id: (b.balance_cents, b.reserved_cents) for b in holdings if b.error is None
        }
        if values:
            await self.wallet.update_values(user_id, values)
        return portfolio

    async def positions(self, user_id: str, status: PositionFilter = "all") -> Positions:
        """Open trades (`/status`) and/or closed ones (`/trades`) of every bot of the user."""
        records = await self.bots.list_for_user(user_id)

        async def fetch(bot: BotRecord, endpoint: BotEndpoint) -> BotTrades:
            return await self._trades(bot, endpoint, status)

        results = await self._each(records, fetch)
        trades = [
            result if isinstance(result, BotTrades) else BotTrades(bot.id, [], [], result)
            for bot, result in zip(records, results, strict=True)
        ]
        return Positions(user_id, self.clock(), status, trades)

    async def _each(
        self,
        records: Sequence[BotRecord],
        fetch: Callable[[BotRecord, BotEndpoint], Awaitable[T]],
    ) -> list[T | str]:
        """Run `fetch` for every usable bot, `concurrency` at a time; an error text otherwise."""
        limit = asyncio.Semaphore(self.concurrency)

        async def one(bot: BotRecord) -> T | str:
            reason = _unavailable_reason(bot)
            if reason is not None:
                return reason
            assert bot.endpoint is not None  # noqa: S101 - _unavailable_reason checked it
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
        if not isinstance(status, list) or not isinstance(balance, dict):
            raise TypeError("unexpected /status or /balance shape")
        return BotHoldings(
            bot_id=bot.id,
            open_trades=status,
            balance_cents=to_cents(balance["total"]),
            # The funded paper wallet, not FreqTrade's `starting_capital`: that one is the wallet
            # times tradable_balance_ratio (0.99) and would show a phantom 1 % profit.
            starting_cents=bot.wallet_cents,
            reserved_cents=sum(to_cents(t.get("stake_amount") or 0) for t in status),
        )

    async def _trades(
        self, bot: BotRecord, endpoint: BotEndpoint, status: PositionFilter
    ) -> BotTrades:
        calls: list[Awaitable[Any]] = []
        if status in ("open", "all"):
            calls.append(self.api.get_json(endpoint, "/api/v1/status", self.timeout))
        if status in ("closed", "all"):
            calls.append(self.api.get_json(endpoint, CLOSED_TRADES_PATH, self.timeout))
        answers = list(await asyncio.gather(*calls))
        open_trades: list[dict[str, Any]] = answers.pop(0) if status != "closed" else []
        closed_trades: list[dict[str, Any]] = answers.pop(0)["trades"] if answers else []
        if not isinstance(open_trades, list) or not isinstance(closed_trades, list):
            raise TypeError("unexpected /status or /trades shape")
        return BotTrades(bot.id, open_trades, closed_trades)


def _failed_holdings(bot: BotRecord, error: str) -> BotHoldings:
    return BotHoldings(bot.id, [], 0, 0, 0, error)
