"""Property test: random concurrent wallet moves never break the wallet's books.

Each example is a fresh user on the test's database; its moves run in batches, each batch
concurrently (asyncio.gather). After every batch: the invariant holds, the balance is not
negative, and the ledger agrees with the balance row by row and in sum.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gateway.db.database import Database
from gateway.errors import ApiError
from gateway.services.accounts.users import UserStore
from gateway.services.common import new_id, utcnow
from gateway.services.money.wallet import SIGN, WalletService
from migrations.schema import wallet_transactions
from tests.gateway.conftest import migrate

BOTS = ["b0", "b1", "b2"]
cents = st.integers(min_value=1, max_value=60_000)
percent = st.integers(min_value=0, max_value=200)
bot = st.sampled_from(BOTS)

operation = st.one_of(
    st.tuples(st.just("deposit"), cents),
    st.tuples(st.just("withdraw"), cents),
    st.tuples(st.just("set_balance"), st.integers(min_value=0, max_value=300_000)),
    st.tuples(st.just("allocate"), bot, cents),
    st.tuples(st.just("add"), bot, cents),
    st.tuples(st.just("return"), bot, st.integers(min_value=1, max_value=100), percent),
    st.tuples(st.just("close"), bot, percent),
    st.tuples(st.just("values"), bot, percent),
)
batches = st.lists(st.lists(operation, min_size=1, max_size=6), min_size=1, max_size=5)


async def run(wallet: WalletService, user: str, op: tuple[Any, ...]) -> None:
    """One move; a value `percent` of 150 means the bot is worth 1.5 x what it was lent."""
    kind = op[0]
    if kind == "deposit":
        await wallet.deposit(user, op[1], "d")
    elif kind == "withdraw":
        await wallet.withdraw(user, op[1], "w")
    elif kind == "set_balance":
        await wallet.set_balance(user, op[1])
    elif kind == "allocate":
        await wallet.allocate(user, op[1], f"S ({op[1]})", op[2])
    elif kind == "add":
        await wallet.add_to_allocation(user, op[1], op[2])
    else:
        found = await wallet.allocation(user, op[1])
        value = 0 if found is None else found.allocated_cents * op[-1] // 100
        if kind == "values":
            await wallet.update_values(user, {op[1]: (value, 0)})
        elif kind == "close":
            await wallet.close_allocation(user, op[1], value, "closed")
        else:
            amount = value * op[2] // 100
            await wallet.return_from_allocation(user, op[1], amount, current_value_cents=value)


async def check_books(db: Database, wallet: WalletService, user: str) -> None:
    assert await wallet.invariant_holds(user)
    view = await wallet.view(user)
    assert view.balance_cents >= 0
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(wallet_transactions)
                .where(wallet_transactions.c.user_id == user)
                .order_by(wallet_transactions.c.seq)
            )
        ).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    running = 0
    for row in rows:
        running += SIGN[row.type] * row.amount_cents
        assert row.balance_after_cents == running
    assert running == view.balance_cents
    assert view.total_allocated_cents == sum(a.allocated_cents for a in view.allocations)


async def scenario(url: str, plan: list[list[tuple[Any, ...]]]) -> None:
    db = Database(url)
    try:
        wallet = WalletService(
            db, utcnow, starting_balance_cents=100_000, max_wallet_cents=10_000_000
        )
        user = (
            await UserStore(db).create(
                email=f"{new_id()}@example.com", username="prop", password_hash=None
            )
        ).id
        for batch in plan:
            outcomes = await asyncio.gather(
                *(run(wallet, user, op) for op in batch), return_exceptions=True
            )
            for outcome in outcomes:
                # Business refusals (insufficient funds, no allocation...) are fine; bugs are not.
                if isinstance(outcome, BaseException) and not isinstance(outcome, ApiError):
                    raise outcome
            await check_books(db, wallet, user)
    finally:
        await db.close()


@pytest.fixture
def migrated_url(db_url: str) -> str:
    asyncio.run(migrate(db_url))
    return db_url


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=batches)
def test_concurrent_moves_keep_the_books_balanced(
    migrated_url: str, plan: list[list[tuple[Any, ...]]]
) -> None:
    asyncio.run(scenario(migrated_url, plan))
