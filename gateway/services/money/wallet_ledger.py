"""The wallet's books: ledger rows, allocations, and one locked move that books them.

`LedgerMove` is the open database transaction of one wallet move (see `WalletService._move`);
it applies each ledger row to the balance it carries and writes the row.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from fractions import Fraction
from typing import Any, Literal

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.errors import BadInput, NotFound
from gateway.services.common import new_id
from gateway.services.money.money import dollars, from_cents
from migrations.schema import wallet_allocations, wallet_transactions

logger = logging.getLogger(__name__)

TransactionType = Literal["deposit", "withdraw", "allocate", "deallocate", "profit", "loss"]
# How each ledger row moves the wallet balance.
SIGN: dict[TransactionType, int] = {
    "deposit": 1,
    "withdraw": -1,
    "allocate": -1,
    "deallocate": 1,
    "profit": 1,
    "loss": -1,
}
RECENT_TRANSACTIONS = 20
MAX_SET_BALANCE_CENTS = 100_000_000  # W2 accepts 0 … 1,000,000 USD


@dataclass(frozen=True)
class Transaction:
    """One ledger row."""

    id: str
    seq: int
    type: TransactionType
    amount_cents: int
    bot_id: str | None
    bot_name: str | None
    description: str
    balance_after_cents: int
    created_at: datetime

    @property
    def signed_cents(self) -> int:
        """The amount with the sign of its effect on the wallet balance."""
        return SIGN[self.type] * self.amount_cents


@dataclass(frozen=True)
class Allocation:
    """Money lent to one bot, with the bot's last known value."""

    bot_id: str
    bot_name: str
    allocated_cents: int
    current_value_cents: int
    reserved_cents: int
    lifetime_pnl_cents: int
    allocated_at: datetime
    valued_at: datetime | None

    @property
    def available_cents(self) -> int:
        """What the bot holds outside open trades."""
        return self.current_value_cents - self.reserved_cents


@dataclass(frozen=True)
class ReturnResult:
    """The outcome of returning money from a bot (partly, fully, or on delete)."""

    returned_cents: int
    pnl_cents: int
    is_full_return: bool
    remaining_allocation: int
    wallet_balance: int
    transaction: Transaction


@dataclass
class LedgerMove:
    """One open wallet transaction: the locked wallet's balance and counters, as moves change."""

    conn: AsyncConnection
    user_id: str
    now: datetime
    balance: int
    seq: int
    deposited: int = 0
    withdrawn: int = 0
    realised: int = 0

    async def book(
        self,
        kind: TransactionType,
        cents: int,
        description: str,
        allocation: Allocation | None = None,
    ) -> Transaction:
        """Apply one ledger row to the balance and insert it."""
        self.balance += SIGN[kind] * cents
        self.seq += 1
        row = Transaction(
            id=new_id(),
            seq=self.seq,
            type=kind,
            amount_cents=cents,
            bot_id=allocation.bot_id if allocation else None,
            bot_name=allocation.bot_name if allocation else None,
            description=description,
            balance_after_cents=self.balance,
            created_at=self.now,
        )
        await self.conn.execute(
            insert(wallet_transactions).values(user_id=self.user_id, **asdict(row))
        )
        return row

    async def allocation(self, bot_id: str) -> Allocation | None:
        """This user's allocation to the bot, read inside the move."""
        return await find_allocation(self.conn, self.user_id, bot_id)

    async def require_allocation(self, bot_id: str) -> Allocation:
        """The allocation to the bot; 404 `NO_ALLOCATION` when there is none."""
        found = await self.allocation(bot_id)
        if found is None:
            raise NotFound("No wallet allocation found for this bot", "NO_ALLOCATION")
        return found

    def require_funds(self, cents: int) -> None:
        """Refuse (400 `INSUFFICIENT_FUNDS`) to lend more than the wallet holds."""
        if cents > self.balance:
            raise BadInput(
                f"Insufficient funds. Available: {dollars(self.balance)}, "
                f"Requested: {dollars(cents)}",
                "INSUFFICIENT_FUNDS",
                extra={
                    "availableBalance": from_cents(self.balance),
                    "requestedAmount": from_cents(cents),
                },
            )

    async def give_back(self, found: Allocation, cents: int, description: str) -> ReturnResult:
        """Book `cents` coming back from a bot whose live value is `found.current_value_cents`.

        The allocated share returned is proportional to the value returned; the rest is profit
        (or, when negative, loss) realised now.
        """
        current = max(found.current_value_cents, 0)
        if cents <= 0 and current > 0:
            raise BadInput("Amount must be greater than 0", "INVALID_AMOUNT")
        if cents > current:
            raise BadInput(
                f"Cannot return more than current value ({dollars(current)})",
                "RETURN_EXCEEDS_VALUE",
            )
        full = cents == current
        if full:
            part = found.allocated_cents
        else:
            part = round(Fraction(found.allocated_cents * cents, current))
        pnl = cents - part
        transaction = await self.book("deallocate", part, description, found)
        if pnl:
            kind: TransactionType = "profit" if pnl > 0 else "loss"
            label = "Profit" if pnl > 0 else "Loss"
            await self.book(kind, abs(pnl), f"{label} realised from {found.bot_name}", found)
        self.realised += pnl
        where = (wallet_allocations.c.user_id == self.user_id) & (
            wallet_allocations.c.bot_id == found.bot_id
        )
        if full:
            await self.conn.execute(delete(wallet_allocations).where(where))
        else:
            await self.conn.execute(
                update(wallet_allocations)
                .where(where)
                .values(
                    allocated_cents=found.allocated_cents - part,
                    current_value_cents=current - cents,
                    lifetime_pnl_cents=found.lifetime_pnl_cents + pnl,
                    valued_at=self.now,
                )
            )
        logger.info(
            "returned %s cents from bot %s of user %s (pnl %s, full %s)",
            cents,
            found.bot_id,
            self.user_id,
            pnl,
            full,
        )
        return ReturnResult(
            returned_cents=cents,
            pnl_cents=pnl,
            is_full_return=full,
            remaining_allocation=0 if full else found.allocated_cents - part,
            wallet_balance=self.balance,
            transaction=transaction,
        )


def revalued(found: Allocation, current_value_cents: int) -> Allocation:
    """The allocation as if the bot were now worth `current_value_cents`."""
    return replace(found, current_value_cents=current_value_cents)


def transaction_of(row: Row[Any]) -> Transaction:
    """A `wallet_transactions` row as a `Transaction`."""
    return Transaction(**{f.name: getattr(row, f.name) for f in fields(Transaction)})


def allocation_of(row: Row[Any]) -> Allocation:
    """A `wallet_allocations` row as an `Allocation`."""
    return Allocation(
        bot_id=row.bot_id,
        bot_name=row.bot_name,
        allocated_cents=row.allocated_cents,
        current_value_cents=row.current_value_cents,
        reserved_cents=row.reserved_cents,
        lifetime_pnl_cents=row.lifetime_pnl_cents,
        allocated_at=row.allocated_at,
        valued_at=row.valued_at,
    )


async def find_allocation(conn: AsyncConnection, user_id: str, bot_id: str) -> Allocation | None:
    """The user's allocation to one bot, if any."""
    row = (
        await conn.execute(
            select(wallet_allocations).where(
                wallet_allocations.c.user_id == user_id, wallet_allocations.c.bot_id == bot_id
            )
        )
    ).first()
    return None if row is None else allocation_of(row)


async def list_allocations(conn: AsyncConnection, user_id: str) -> list[Allocation]:
    """The user's allocations, oldest first."""
    rows = (
        await conn.execute(
            select(wallet_allocations)
            .where(wallet_allocations.c.user_id == user_id)
            .order_by(wallet_allocations.c.allocated_at, wallet_allocations.c.bot_id)
        )
    ).all()
    return [allocation_of(r) for r in rows]
