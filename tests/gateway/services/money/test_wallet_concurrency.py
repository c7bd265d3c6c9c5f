"""1,000 concurrent wallet moves of 10 users on real PostgreSQL keep the books to the cent.

Two `WalletService`s on two engines stand for two gateway processes sharing one database
(PostgreSQL's row lock is all that serialises them; the in-process lock is SQLite's only).
Every deposit, withdrawal, allocation, top-up, partial return and full return of the 10 users
is started at once. Afterwards, for every user:

- the wallet's balance is the ledger's sum and its last `balance_after`, the ledger's `seq` has
  no gap and no duplicate, and it holds exactly the rows the successful moves booked;
- wallet + allocations are conserved: deposited, withdrawn, realised P&L and the sum of the
  allocations are what the successful moves' own answers add up to;
- no balance and no allocation is negative;
- every refusal is a clean 4xx `ApiError` with one of the expected codes (nothing else raised).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from gateway.db.database import Database
from gateway.errors import ApiError
from gateway.services.common import utcnow
from gateway.services.money.wallet import SIGN, ReturnResult, WalletMove, WalletService
from migrations.schema import wallet_allocations, wallet_transactions, wallets
from tests.gateway.conftest import migrate
from tests.gateway.factories import create_user_row

pytestmark = pytest.mark.postgres

USERS = 10
OPERATIONS = 1_000
BOTS_PER_USER = 4
START = 100_000  # $1,000.00
LIMIT = 10_000_000  # $100,000.00
KINDS = ("deposit", "withdraw", "allocate", "add", "return", "close")
WEIGHTS = (25, 20, 15, 15, 18, 7)
REFUSALS = {
    "INSUFFICIENT_FUNDS",  # withdraw, allocate, add more than the balance
    "ALLOCATION_EXISTS",  # allocate to a bot that has money already
    "NO_ALLOCATION",  # add to / return from a bot that has none (yet, or any more)
    "RETURN_EXCEEDS_VALUE",  # a return valued before a concurrent one took money out
    "INVALID_AMOUNT",
}


@dataclass
class Books:
    """What one user's successful moves say happened, from their own answers."""

    deposited: int = 0
    withdrawn: int = 0
    lent: int = 0
    lent_back: int = 0
    pnl: int = 0
    rows: int = 1  # the starting deposit
    done: Counter[str] = field(default_factory=Counter)


Op = tuple[str, int, str, int, int]  # kind, user index, bot id, cents, value percent


def plan(rng: random.Random) -> list[Op]:
    """OPERATIONS moves spread evenly over the users, kinds drawn with WEIGHTS."""
    ops: list[Op] = []
    for n in range(OPERATIONS):
        kind = rng.choices(KINDS, WEIGHTS)[0]
        bot = f"bot-{n % USERS}-{rng.randrange(BOTS_PER_USER)}"
        ops.append((kind, n % USERS, bot, rng.randint(1, 40_000), rng.randint(50, 150)))
    return ops


async def run(wallet: WalletService, user: str, op: Op, books: Books) -> None:
    """One move; returns are valued like FundingService does: read first, then booked."""
    kind, _, bot, cents, percent = op
    move: WalletMove | ReturnResult | None
    if kind == "deposit":
        move = await wallet.deposit(user, cents, "fuzz deposit")
        books.deposited += cents
    elif kind == "withdraw":
        move = await wallet.withdraw(user, cents, "fuzz withdrawal")
        books.withdrawn += cents
    elif kind in ("allocate", "add"):
        if kind == "allocate":
            move = await wallet.allocate(user, bot, f"Bot {bot}", cents)
        else:
            move = await wallet.add_to_allocation(user, bot, cents)
        books.lent += cents
    else:
        found = await wallet.allocation(user, bot)
        value = 1 if found is None else max(1, found.current_value_cents * percent // 100)
        if kind == "close":
            move = await wallet.close_allocation(user, bot, value, "fuzz close")
        else:
            amount = max(1, value * percent // 300)
            move = await wallet.return_from_allocation(user, bot, amount, current_value_cents=value)
        if move is not None:
            books.lent_back += move.returned_cents - move.pnl_cents
            books.pnl += move.pnl_cents
            books.rows += 1 if move.pnl_cents else 0
    books.rows += 0 if move is None else 1
    books.done[kind] += 1


async def check_user(db: Database, user: str, books: Books) -> None:
    async with db.engine.connect() as conn:
        wallet = (await conn.execute(select(wallets).where(wallets.c.user_id == user))).one()
        rows = (
            await conn.execute(
                select(wallet_transactions)
                .where(wallet_transactions.c.user_id == user)
                .order_by(wallet_transactions.c.seq)
            )
        ).all()
        allocations = (
            await conn.execute(
                select(wallet_allocations).where(wallet_allocations.c.user_id == user)
            )
        ).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)), "gap or duplicate in ledger"
    assert len(rows) == books.rows, "a successful move's ledger row is missing (lost write)"
    running = 0
    for row in rows:
        running += SIGN[row.type] * row.amount_cents
        assert row.balance_after_cents == running
        assert row.balance_after_cents >= 0, "the balance went negative"
    assert wallet.balance_cents == running, "balance != sum of the ledger"
    assert wallet.deposited_cents == START + books.deposited
    assert wallet.withdrawn_cents == books.withdrawn
    assert wallet.realised_pnl_cents == books.pnl
    allocated = sum(a.allocated_cents for a in allocations)
    assert all(a.allocated_cents >= 0 for a in allocations)
    assert allocated == books.lent - books.lent_back
    # Conservation: what is in the wallet plus what is lent is what came in, went out, was made.
    assert (
        wallet.balance_cents + allocated
        == wallet.deposited_cents - wallet.withdrawn_cents + wallet.realised_pnl_cents
    )


async def scenario(url: str) -> tuple[Counter[str], Counter[str]]:
    await migrate(url)
    gateways = [Database(url), Database(url)]
    try:
        services = [
            WalletService(db, utcnow, starting_balance_cents=START, max_wallet_cents=LIMIT)
            for db in gateways
        ]
        users = [await create_user_row(gateways[0], f"user{i}") for i in range(USERS)]
        books = [Books() for _ in users]
        ops = plan(random.Random(18))
        outcomes = await asyncio.gather(
            *(run(services[n % 2], users[op[1]], op, books[op[1]]) for n, op in enumerate(ops)),
            return_exceptions=True,
        )
        refused: Counter[str] = Counter()
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                # Anything but a clean refusal (a deadlock, a serialisation failure, a pool
                # timeout, a bug) would be a 500 to the client.
                if not isinstance(outcome, ApiError) or outcome.code not in REFUSALS:
                    raise outcome
                assert 400 <= outcome.status < 500
                refused[outcome.code] += 1
        for user, user_books in zip(users, books, strict=True):
            await check_user(gateways[0], user, user_books)
        async with gateways[0].engine.connect() as conn:
            count = (
                await conn.execute(select(func.count()).select_from(wallet_transactions))
            ).scalar_one()
        assert count == sum(b.rows for b in books)
        done: Counter[str] = Counter()
        for user_books in books:
            done.update(user_books.done)
        return done, refused
    finally:
        for db in gateways:
            await db.close()


def test_a_thousand_concurrent_moves_keep_every_ledger_to_the_cent(
    make_postgres_database: Callable[[], str],
) -> None:
    done, refused = asyncio.run(scenario(make_postgres_database()))
    assert sum(done.values()) + sum(refused.values()) == OPERATIONS
    # Every kind of move really ran (not refused wholesale), and some were refused cleanly.
    assert all(done[kind] > 0 for kind in KINDS), done
    assert refused, "no move was refused: the plan does not exercise the limits"
    print(
        f"\nwallet concurrency: {OPERATIONS} moves, {USERS} users; done {dict(done)}; "
        f"refused {dict(refused)}"
    )
