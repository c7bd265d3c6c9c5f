"""What a user's bots hold right now: FreqTrade's balances and trades of each of them.

Where the figures come from is a `HoldingsSource`: by default the summaries the bots publish
to their pools after every loop pass, read with one call per pool (dashboard/published.py),
so a dashboard costs the bots nothing; or, with `portfolio_source = "bots"`, each bot's own
FreqTrade API asked in parallel (dashboard/live.py). Either way the figures are FreqTrade's
`/status`, `/balance` and `/trades` answers, and a bot that is stopped, not placed yet, slow,
silent or down becomes an entry with an `error` instead of failing the whole answer: the
dashboard must always get a portfolio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from gateway.services.common import Clock
from gateway.services.money.money import to_cents
from gateway.services.money.wallet import WalletService
from gateway.services.trading.botstore import BotRecord, BotStore

PositionFilter = Literal["open", "closed", "all"]


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


def unavailable_reason(bot: BotRecord) -> str | None:
    """Why the bot has nothing to report, whatever the source; None when it should have."""
    if bot.desired_state != "running":
        return f"Bot is {bot.desired_state}"
    if bot.endpoint is None:
        return "Bot has not started yet"
    return None


def holdings_from(bot: BotRecord, status: Any, balance: Any) -> BotHoldings:
    """A bot's holdings from FreqTrade's `/status` and `/balance` answers (TypeError, KeyError
    or ValueError when they are not what FreqTrade answers)."""
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


def trades_from(bot: BotRecord, open_trades: Any, closed_trades: Any) -> BotTrades:
    """A bot's positions from FreqTrade's `/status` array and `/trades` page's `trades`."""
    if not isinstance(open_trades, list) or not isinstance(closed_trades, list):
        raise TypeError("unexpected /status or /trades shape")
    return BotTrades(bot.id, open_trades, closed_trades)


class HoldingsSource(Protocol):
    """Reads what bots hold; one answer per record, in order, an `error` entry when unread."""

    async def holdings(self, records: Sequence[BotRecord]) -> list[BotHoldings]: ...

    async def trades(
        self, records: Sequence[BotRecord], status: PositionFilter
    ) -> list[BotTrades]: ...


class PortfolioService:
    """Aggregates a user's bots; keeps the wallet's allocation values in step with them."""

    def __init__(
        self,
        *,
        bots: BotStore,
        source: HoldingsSource,
        wallet: WalletService,
        clock: Clock,
    ) -> None:
        self.bots = bots
        self.source = source
        self.wallet = wallet
        self.clock = clock

    async def aggregate(self, user_id: str) -> Portfolio:
        """Balances and open trades of every bot of the user; updates allocation values."""
        records = await self.bots.list_for_user(user_id)
        holdings = await self.source.holdings(records)
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
        return Positions(user_id, self.clock(), status, await self.source.trades(records, status))


def settle_holdings(
    records: Sequence[BotRecord], results: Sequence[BotHoldings | str]
) -> list[BotHoldings]:
    """Per record its holdings, or an entry carrying the error text read instead."""
    return [
        result if isinstance(result, BotHoldings) else BotHoldings(bot.id, [], 0, 0, 0, result)
        for bot, result in zip(records, results, strict=True)
    ]


def settle_trades(
    records: Sequence[BotRecord], results: Sequence[BotTrades | str]
) -> list[BotTrades]:
    """Per record its trades, or an entry carrying the error text read instead."""
    return [
        result if isinstance(result, BotTrades) else BotTrades(bot.id, [], [], result)
        for bot, result in zip(records, results, strict=True)
    ]
