"""The paper wallet: a user's unallocated money, what is lent to each bot, and the ledger.

Every move is one database transaction holding the wallet update, the allocation change and
its ledger rows, so `balance + Σ allocated = deposited - withdrawn + realised_pnl` always holds
and the ledger's last `balance_after` is the balance.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.db.database import Database
from gateway.errors import BadInput, Conflict, NotFound
from gateway.services.common import Clock
from gateway.services.money.money import dollars, from_cents
from gateway.services.money.wallet_ledger import (
    SIGN,
    Allocation,
    LedgerMove,
    ReturnResult,
    Transaction,
    TransactionType,
    find_allocation,
    list_allocations,
    revalued,
    transaction_of,
)
from migrations.schema import wallet_allocations, wallet_transactions, wallets
from observability.analytics import Analytics

__all__ = [
    "SIGN",
    "Allocation",
    "ReturnResult",
    "SyncResult",
    "Transaction",
    "TransactionType",
    "TransactionPage",
    "WalletMove",
    "WalletService",
    "WalletView",
]

logger = logging.getLogger(__name__)

RECENT_TRANSACTIONS = 20
MAX_SET_BALANCE_CENTS = 100_000_000  # W2 accepts 0 … 1,000,000 USD
MAX_TRANSACTIONS_PAGE = 100
# Past this a page is empty anyway; a bigger number would not fit SQLite's 64-bit OFFSET.
MAX_TRANSACTIONS_OFFSET = 1_000_000_000


@dataclass(frozen=True)
class WalletView:
    """Everything W1 shows: balance, allocations, recent ledger rows and totals."""

    user_id: str
    balance_cents: int
    currency: str
    last_updated: datetime
    allocations: tuple[Allocation, ...]
    recent: tuple[Transaction, ...]
    total_allocated_cents: int
    total_current_value_cents: int
    total_portfolio_value_cents: int
    unrealized_pnl_cents: int


@dataclass(frozen=True)
class WalletMove:
    """The outcome of a deposit, withdrawal, balance reset or allocation."""

    balance_cents: int
    transaction: Transaction


@dataclass(frozen=True)
class TransactionPage:
    """One page of the ledger, newest first, and how many rows the ledger holds."""

    transactions: tuple[Transaction, ...]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class SyncResult:
    """W7: allocations kept and those returned because their bot no longer exists."""

    valid_allocations: int
    cleaned_bots: list[str]
    total_returned_cents: int
    new_balance_cents: int


class WalletService:
    """Moves paper money between a user's wallet, the outside world and their bots."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        starting_balance_cents: int,
        max_wallet_cents: int,
        analytics: Analytics | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.analytics = analytics if analytics is not None else Analytics.off()
        self.starting_balance_cents = starting_balance_cents
        self.max_wallet_cents = max_wallet_cents
        # SQLite only: moves of one user are serialised in-process. On SQLite the gateway
        # is a single process, so an asyncio lock is enough (PostgreSQL locks the row).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # Reading

    async def balance_cents(self, user_id: str) -> int:
        """The free balance alone: one indexed read, no lock (the wallet is created if new)."""
        query = select(wallets.c.balance_cents).where(wallets.c.user_id == user_id)
        async with self.db.engine.connect() as conn:
            found = (await conn.execute(query)).scalar_one_or_none()
        if found is not None:
            return int(found)
        await self._ensure_serialised(user_id)
        async with self.db.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def view(self, user_id: str) -> WalletView:
        """The wallet as W1 shows it (created with the starting balance on first access)."""
        await self._ensure_serialised(user_id)
        async with self.db.engine.connect() as conn:
            # FOR SHARE on PostgreSQL: wallet, allocations and ledger from one committed move.
            wallet = (
                await conn.execute(
                    select(wallets).where(wallets.c.user_id == user_id).with_for_update(read=True)
                )
            ).one()
            allocations = await list_allocations(conn, user_id)
            rows = (
                await conn.execute(
                    select(wallet_transactions)
                    .where(wallet_transactions.c.user_id == user_id)
                    .order_by(wallet_transactions.c.seq.desc())
                    .limit(RECENT_TRANSACTIONS)
                )
            ).all()
        allocated = sum(a.allocated_cents for a in allocations)
        current = sum(a.current_value_cents for a in allocations)
        return WalletView(
            user_id=user_id,
            balance_cents=wallet.balance_cents,
            currency=wallet.currency,
            last_updated=wallet.updated_at,
            allocations=tuple(allocations),
            recent=tuple(transaction_of(r) for r in rows),
            total_allocated_cents=allocated,
            total_current_value_cents=current,
            total_portfolio_value_cents=wallet.balance_cents + current,
            unrealized_pnl_cents=current - allocated,
        )

    async def transactions(self, user_id: str, limit: int, offset: int) -> TransactionPage:
        """The ledger newest first: `limit` rows (1..100) after skipping `offset` (W8)."""
        if not 1 <= limit <= MAX_TRANSACTIONS_PAGE:
            raise BadInput(
                f"limit must be a whole number from 1 to {MAX_TRANSACTIONS_PAGE}", "INVALID_LIMIT"
            )
        if not 0 <= offset <= MAX_TRANSACTIONS_OFFSET:
            raise BadInput(
                f"offset must be a whole number from 0 to {MAX_TRANSACTIONS_OFFSET}",
                "INVALID_OFFSET",
            )
        await self._ensure_serialised(user_id)
        mine = wallet_transactions.c.user_id == user_id
        async with self.db.engine.connect() as conn:
            total = (
                await conn.execute(
                    select(func.count()).select_from(wallet_transactions).where(mine)
                )
            ).scalar_one()
            rows = (
                await conn.execute(
                    select(wallet_transactions)
                    .where(mine)
                    .order_by(wallet_transactions.c.seq.desc())
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
        return TransactionPage(
            transactions=tuple(transaction_of(r) for r in rows),
            total=int(total),
            limit=limit,
            offset=offset,
        )

    async def allocation(self, user_id: str, bot_id: str) -> Allocation | None:
        """The user's allocation to this bot, if any."""
        async with self.db.engine.connect() as conn:
            return await find_allocation(conn, user_id, bot_id)

    async def allocated_bot_ids(self, user_id: str) -> set[str]:
        """Ids of the bots the user has lent money to."""
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(wallet_allocations.c.bot_id).where(wallet_allocations.c.user_id == user_id)
            )
            return {r.bot_id for r in rows}

    async def invariant_holds(self, user_id: str) -> bool:
        """True when balance + Σ allocated = deposited - withdrawn + realised pnl (or no wallet)."""
        async with self.db.engine.connect() as conn:
            wallet = (
                await conn.execute(
                    select(wallets).where(wallets.c.user_id == user_id).with_for_update(read=True)
                )
            ).first()
            if wallet is None:
                return True
            allocated = (
                await conn.execute(
                    select(func.coalesce(func.sum(wallet_allocations.c.allocated_cents), 0)).where(
                        wallet_allocations.c.user_id == user_id
                    )
                )
            ).scalar_one()
        expected = wallet.deposited_cents - wallet.withdrawn_cents + wallet.realised_pnl_cents
        return bool(wallet.balance_cents + int(allocated) == expected)

    # Money in and out

    async def set_balance(self, user_id: str, cents: int) -> WalletMove:
        """W2: make the balance exactly `cents`, booking the difference as deposit or withdraw."""
        if not 0 <= cents <= MAX_SET_BALANCE_CENTS:
            raise BadInput(
                f"Balance must be between $0.00 and {dollars(MAX_SET_BALANCE_CENTS)}",
                "INVALID_AMOUNT",
            )
        description = f"Balance set to {dollars(cents)}"
        async with self._move(user_id) as move:
            difference = cents - move.balance
            if difference >= 0:
                move.deposited += difference
                row = await move.book("deposit", difference, description)
            else:
                move.withdrawn -= difference
                row = await move.book("withdraw", -difference, description)
        return WalletMove(move.balance, row)

    async def deposit(self, user_id: str, cents: int, description: str) -> WalletMove:
        """W3: add paper money, up to `max_wallet_cents` in the wallet."""
        _positive(cents)
        async with self._move(user_id) as move:
            if move.balance + cents > self.max_wallet_cents:
                raise BadInput(
                    f"Deposit would exceed maximum wallet size of {dollars(self.max_wallet_cents)}",
                    "WALLET_LIMIT_EXCEEDED",
                )
            move.deposited += cents
            row = await move.book("deposit", cents, description)
        self.analytics.capture(
            "wallet_deposit",
            user_id,
            {"amount": from_cents(cents), "balance": from_cents(move.balance), "currency": "USD"},
        )
        return WalletMove(move.balance, row)

    async def withdraw(self, user_id: str, cents: int, description: str) -> WalletMove:
        """W4: take paper money out of the wallet."""
        _positive(cents)
        async with self._move(user_id) as move:
            if cents > move.balance:
                raise BadInput("Insufficient funds", "INSUFFICIENT_FUNDS")
            move.withdrawn += cents
            row = await move.book("withdraw", cents, description)
        return WalletMove(move.balance, row)

    # Money lent to bots

    async def allocate(self, user_id: str, bot_id: str, bot_name: str, cents: int) -> WalletMove:
        """B2: lend `cents` to a new bot; 409 when the bot already has an allocation."""
        _positive(cents)
        async with self._move(user_id) as move:
            if await move.allocation(bot_id) is not None:
                raise Conflict(
                    "Bot already has funds allocated and is currently running.",
                    "ALLOCATION_EXISTS",
                )
            move.require_funds(cents)
            found = Allocation(bot_id, bot_name, cents, cents, 0, 0, move.now, move.now)
            await move.conn.execute(
                insert(wallet_allocations).values(
                    user_id=user_id,
                    bot_id=bot_id,
                    bot_name=bot_name,
                    allocated_cents=cents,
                    current_value_cents=cents,
                    reserved_cents=0,
                    lifetime_pnl_cents=0,
                    allocated_at=move.now,
                    valued_at=move.now,
                )
            )
            row = await move.book("allocate", cents, f"Allocated to {bot_name}", found)
        return WalletMove(move.balance, row)

    async def add_to_allocation(self, user_id: str, bot_id: str, cents: int) -> WalletMove:
        """W5: lend `cents` more to a bot that already has an allocation."""
        _positive(cents)
        async with self._move(user_id) as move:
            found = await move.require_allocation(bot_id)
            move.require_funds(cents)
            await move.conn.execute(
                update(wallet_allocations)
                .where(
                    wallet_allocations.c.user_id == user_id,
                    wallet_allocations.c.bot_id == bot_id,
                )
                .values(
                    allocated_cents=wallet_allocations.c.allocated_cents + cents,
                    current_value_cents=wallet_allocations.c.current_value_cents + cents,
                )
            )
            row = await move.book("allocate", cents, f"Added funds to {found.bot_name}", found)
        return WalletMove(move.balance, row)

    async def check_return(
        self,
        user_id: str,
        bot_id: str,
        cents: int | None,
        *,
        current_value_cents: int,
        reserved_cents: int,
    ) -> int:
        """W6: the cents a return may move given the bot's live value (None = everything)."""
        if await self.allocation(user_id, bot_id) is None:
            raise NotFound("No wallet allocation found for this bot", "NO_ALLOCATION")
        current = max(current_value_cents, 0)
        wanted = current if cents is None else cents
        if wanted > current:
            raise BadInput(
                f"Cannot return more than current value ({dollars(current)})",
                "RETURN_EXCEEDS_VALUE",
            )
        if reserved_cents > 0 and wanted > current - reserved_cents:
            raise BadInput(
                f"Bot has {dollars(reserved_cents)} in open trades. Close all positions first.",
                "FUNDS_IN_TRADES",
            )
        return wanted

    async def return_from_allocation(
        self, user_id: str, bot_id: str, cents: int, *, current_value_cents: int
    ) -> ReturnResult:
        """W6: book `cents` coming back from a bot now worth `current_value_cents`."""
        async with self._move(user_id) as move:
            found = await move.require_allocation(bot_id)
            valued = revalued(found, current_value_cents)
            result = await move.give_back(valued, cents, f"Returned from {found.bot_name}")
        return result

    async def close_allocation(
        self, user_id: str, bot_id: str, final_value_cents: int, description: str
    ) -> ReturnResult | None:
        """B5/W7: cash out a bot's whole final value and drop its allocation (None if none)."""
        async with self._move(user_id) as move:
            found = await move.allocation(bot_id)
            if found is None:
                return None
            final = max(final_value_cents, 0)
            result = await move.give_back(revalued(found, final), final, description)
        return result

    async def update_values(self, user_id: str, values: Mapping[str, tuple[int, int]]) -> None:
        """Record bots' live (current value, reserved in trades) cents; no money moves."""
        if not values:
            return
        now = self.clock()
        # One statement executed for every row (executemany): one round trip, not one per bot.
        statement = (
            update(wallet_allocations)
            .where(
                wallet_allocations.c.user_id == bindparam("owner"),
                wallet_allocations.c.bot_id == bindparam("bot"),
            )
            .values(
                current_value_cents=bindparam("current"),
                reserved_cents=bindparam("reserved"),
                valued_at=bindparam("at"),
            )
        )
        rows = [
            {"owner": user_id, "bot": bot_id, "current": current, "reserved": reserved, "at": now}
            for bot_id, (current, reserved) in values.items()
        ]
        async with self.db.engine.begin() as conn:
            await conn.execute(statement, rows)

    async def sync(self, user_id: str, existing_bot_ids: set[str]) -> SyncResult:
        """W7: return the allocations of bots that no longer exist at their last value."""
        cleaned: list[str] = []
        returned = 0
        async with self._move(user_id) as move:
            kept = 0
            for found in await list_allocations(move.conn, user_id):
                if found.bot_id in existing_bot_ids:
                    kept += 1
                    continue
                final = max(found.current_value_cents, 0)
                await move.give_back(revalued(found, final), final, "Returned from vanished bot")
                cleaned.append(found.bot_id)
                returned += final
        if cleaned:
            logger.info("wallet sync of user %s returned bots %s", user_id, cleaned)
        return SyncResult(kept, cleaned, returned, move.balance)

    # Plumbing

    def _serialised(self, user_id: str) -> AbstractAsyncContextManager[Any]:
        if not self.db.is_sqlite:
            return nullcontext()
        lock = self._locks.get(user_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user_id] = lock
        return lock

    @asynccontextmanager
    async def _move(self, user_id: str) -> AsyncIterator[LedgerMove]:
        """One locked wallet transaction; the wallet row is saved when the block succeeds."""
        async with self._serialised(user_id):
            await self._ensure(user_id)
            async with self.db.engine.begin() as conn:
                now = self.clock()
                where = wallets.c.user_id == user_id
                if self.db.is_sqlite:
                    # Write first: SQLite then takes its write lock now (waiting for other
                    # writers) instead of failing later on a snapshot another writer changed.
                    await conn.execute(update(wallets).where(where).values(updated_at=now))
                wallet = (await conn.execute(select(wallets).where(where).with_for_update())).one()
                last_seq = (
                    await conn.execute(
                        select(func.coalesce(func.max(wallet_transactions.c.seq), 0)).where(
                            wallet_transactions.c.user_id == user_id
                        )
                    )
                ).scalar_one()
                move = LedgerMove(conn, user_id, now, wallet.balance_cents, int(last_seq))
                yield move
                await conn.execute(
                    update(wallets)
                    .where(where)
                    .values(
                        balance_cents=move.balance,
                        deposited_cents=wallets.c.deposited_cents + move.deposited,
                        withdrawn_cents=wallets.c.withdrawn_cents + move.withdrawn,
                        realised_pnl_cents=wallets.c.realised_pnl_cents + move.realised,
                        updated_at=now,
                    )
                )

    async def _exists(self, user_id: str) -> bool:
        async with self.db.engine.connect() as conn:
            query = select(wallets.c.user_id).where(wallets.c.user_id == user_id)
            return (await conn.execute(query)).first() is not None

    async def _ensure_serialised(self, user_id: str) -> None:
        """`_ensure` for readers: the lock is only taken when the wallet is still missing."""
        if await self._exists(user_id):
            return
        async with self._serialised(user_id):
            await self._ensure(user_id)

    async def _ensure(self, user_id: str) -> None:
        """Create the wallet with its starting deposit unless it exists (race-safe)."""
        if await self._exists(user_id):
            return
        now = self.clock()
        start = self.starting_balance_cents
        try:
            async with self.db.engine.begin() as conn:
                # The insert comes first: a concurrent creator makes it fail, not duplicate.
                await conn.execute(
                    insert(wallets).values(
                        user_id=user_id,
                        currency="USD",
                        balance_cents=start,
                        deposited_cents=start,
                        withdrawn_cents=0,
                        realised_pnl_cents=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
                move = LedgerMove(conn, user_id, now, 0, 0)
                await move.book("deposit", start, "Starting paper balance")
        except IntegrityError:
            async with self.db.engine.connect() as conn:
                again = (
                    await conn.execute(
                        select(wallets.c.user_id).where(wallets.c.user_id == user_id)
                    )
                ).first()
            if again is None:  # not a lost race: the user does not exist
                raise NotFound("User not found", "USER_NOT_FOUND") from None
            return
        logger.info("created wallet of user %s with %s cents", user_id, start)


def _positive(cents: int) -> None:
    if cents <= 0:
        raise BadInput("Amount must be greater than 0", "INVALID_AMOUNT")
