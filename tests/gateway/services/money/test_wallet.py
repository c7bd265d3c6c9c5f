"""The paper wallet service on SQLite and PostgreSQL: moves, allocations, returns, sync."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from gateway.db.database import Database
from gateway.errors import ApiError, BadInput, Conflict, NotFound
from gateway.services.accounts.users import UserStore
from gateway.services.common import utcnow
from gateway.services.money.wallet import WalletService
from migrations.schema import wallet_transactions, wallets
from tests.gateway.conftest import migrate

START = 100_000  # $1,000.00
LIMIT = 10_000_000  # $100,000.00


@dataclass
class Ctx:
    db: Database
    wallet: WalletService
    users: UserStore

    async def user(self, name: str = "alice") -> str:
        created = await self.users.create(
            email=f"{name}@example.com", username=name, password_hash=None
        )
        return created.id


@pytest.fixture
async def ctx(db_url: str) -> AsyncIterator[Ctx]:
    await migrate(db_url)
    db = Database(db_url)
    wallet = WalletService(db, utcnow, starting_balance_cents=START, max_wallet_cents=LIMIT)
    try:
        yield Ctx(db, wallet, UserStore(db, utcnow))
    finally:
        await db.close()


def error_of(excinfo: pytest.ExceptionInfo[ApiError]) -> tuple[int, str, str]:
    return excinfo.value.status, excinfo.value.code, excinfo.value.message


async def test_a_new_wallet_starts_with_one_starting_deposit(ctx: Ctx) -> None:
    user = await ctx.user()
    # First reads race each other: the cheap balance read and the full view both create it.
    balances, views = await asyncio.gather(
        asyncio.gather(*(ctx.wallet.balance_cents(user) for _ in range(4))),
        asyncio.gather(*(ctx.wallet.view(user) for _ in range(4))),
    )
    assert balances == [START] * 4
    assert {v.balance_cents for v in views} == {START}
    view = views[0]
    assert view.currency == "USD" and view.allocations == ()
    assert [
        (t.type, t.amount_cents, t.description, t.balance_after_cents) for t in view.recent
    ] == [("deposit", START, "Starting paper balance", START)]
    assert view.total_portfolio_value_cents == START and view.unrealized_pnl_cents == 0
    async with ctx.db.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(wallets))).scalar_one()
    assert count == 1
    assert await ctx.wallet.invariant_holds(user)


async def test_a_wallet_needs_an_existing_user(ctx: Ctx) -> None:
    with pytest.raises(NotFound) as excinfo:
        await ctx.wallet.view("no-such-user")
    assert excinfo.value.code == "USER_NOT_FOUND"


async def test_deposit_withdraw_and_set_balance_are_booked(ctx: Ctx) -> None:
    user = await ctx.user()
    moved = await ctx.wallet.deposit(user, 2_550, "Manual deposit")
    assert moved.balance_cents == START + 2_550
    assert (moved.transaction.type, moved.transaction.amount_cents) == ("deposit", 2_550)
    assert moved.transaction.balance_after_cents == START + 2_550

    moved = await ctx.wallet.withdraw(user, 550, "Rent")
    assert moved.balance_cents == START + 2_000
    assert (moved.transaction.type, moved.transaction.description) == ("withdraw", "Rent")

    moved = await ctx.wallet.set_balance(user, 50_000)
    assert moved.balance_cents == 50_000
    assert (moved.transaction.type, moved.transaction.amount_cents) == ("withdraw", 52_000)
    moved = await ctx.wallet.set_balance(user, 70_000)
    assert (moved.transaction.type, moved.transaction.amount_cents) == ("deposit", 20_000)
    moved = await ctx.wallet.set_balance(user, 70_000)
    assert (moved.transaction.type, moved.transaction.amount_cents) == ("deposit", 0)

    view = await ctx.wallet.view(user)
    assert view.balance_cents == 70_000
    assert [t.seq for t in view.recent] == [6, 5, 4, 3, 2, 1]
    assert await ctx.wallet.invariant_holds(user)


async def test_money_limits_are_enforced(ctx: Ctx) -> None:
    user = await ctx.user()
    with pytest.raises(BadInput) as excinfo:
        await ctx.wallet.deposit(user, LIMIT - START + 1, "Manual deposit")
    assert error_of(excinfo) == (
        400,
        "WALLET_LIMIT_EXCEEDED",
        "Deposit would exceed maximum wallet size of $100,000.00",
    )
    assert (await ctx.wallet.deposit(user, LIMIT - START, "to the cap")).balance_cents == LIMIT

    with pytest.raises(BadInput) as excinfo:
        await ctx.wallet.withdraw(user, LIMIT + 1, "too much")
    assert error_of(excinfo) == (400, "INSUFFICIENT_FUNDS", "Insufficient funds")
    with pytest.raises(BadInput) as excinfo:
        await ctx.wallet.set_balance(user, 100_000_001)
    assert excinfo.value.code == "INVALID_AMOUNT"
    with pytest.raises(BadInput):
        await ctx.wallet.deposit(user, 0, "nothing")
    assert (await ctx.wallet.view(user)).balance_cents == LIMIT


async def test_allocate_and_add_move_money_to_a_bot(ctx: Ctx) -> None:
    user = await ctx.user()
    moved = await ctx.wallet.allocate(user, "alice-bot-1", "EmaRsi (alice-bot-1)", 40_000)
    assert moved.balance_cents == 60_000
    assert (moved.transaction.type, moved.transaction.bot_id) == ("allocate", "alice-bot-1")
    assert moved.transaction.bot_name == "EmaRsi (alice-bot-1)"

    with pytest.raises(Conflict) as conflict:
        await ctx.wallet.allocate(user, "alice-bot-1", "again", 100)
    assert conflict.value.code == "ALLOCATION_EXISTS"

    with pytest.raises(BadInput) as excinfo:
        await ctx.wallet.allocate(user, "alice-bot-2", "EmaRsi (alice-bot-2)", 60_001)
    assert error_of(excinfo) == (
        400,
        "INSUFFICIENT_FUNDS",
        "Insufficient funds. Available: $600.00, Requested: $600.01",
    )
    assert excinfo.value.extra == {"availableBalance": 600.0, "requestedAmount": 600.01}

    moved = await ctx.wallet.add_to_allocation(user, "alice-bot-1", 10_000)
    assert moved.balance_cents == 50_000
    found = await ctx.wallet.allocation(user, "alice-bot-1")
    assert found is not None
    assert (found.allocated_cents, found.current_value_cents, found.reserved_cents) == (
        50_000,
        50_000,
        0,
    )
    with pytest.raises(NotFound) as missing:
        await ctx.wallet.add_to_allocation(user, "alice-bot-9", 100)
    assert error_of(missing) == (404, "NO_ALLOCATION", "No wallet allocation found for this bot")
    with pytest.raises(BadInput) as poor:
        await ctx.wallet.add_to_allocation(user, "alice-bot-1", 50_001)
    assert poor.value.code == "INSUFFICIENT_FUNDS"

    assert await ctx.wallet.allocated_bot_ids(user) == {"alice-bot-1"}
    assert await ctx.wallet.invariant_holds(user)


async def test_check_return_guards_open_trades_and_value(ctx: Ctx) -> None:
    user = await ctx.user()
    await ctx.wallet.allocate(user, "b1", "S (b1)", 50_000)
    check = ctx.wallet.check_return
    assert await check(user, "b1", None, current_value_cents=52_000, reserved_cents=0) == 52_000
    assert await check(user, "b1", 30_000, current_value_cents=52_000, reserved_cents=20_000) == (
        30_000
    )
    with pytest.raises(BadInput) as excinfo:
        await check(user, "b1", None, current_value_cents=52_000, reserved_cents=1_000)
    assert error_of(excinfo) == (
        400,
        "FUNDS_IN_TRADES",
        "Bot has $10.00 in open trades. Close all positions first.",
    )
    with pytest.raises(BadInput) as excinfo:
        await check(user, "b1", 40_000, current_value_cents=52_000, reserved_cents=20_000)
    assert excinfo.value.code == "FUNDS_IN_TRADES"
    with pytest.raises(BadInput) as excinfo:
        await check(user, "b1", 52_001, current_value_cents=52_000, reserved_cents=0)
    assert excinfo.value.code == "RETURN_EXCEEDS_VALUE"
    assert excinfo.value.message.startswith("Cannot return more than current value")
    with pytest.raises(NotFound):
        await check(user, "nope", None, current_value_cents=0, reserved_cents=0)


async def test_partial_then_full_return_realises_profit_and_loss(ctx: Ctx) -> None:
    user = await ctx.user()
    await ctx.wallet.allocate(user, "b1", "S (b1)", 50_000)
    # The bot is worth $600 on $500 lent: returning half takes back $250 lent and $50 profit.
    result = await ctx.wallet.return_from_allocation(user, "b1", 30_000, current_value_cents=60_000)
    assert (result.returned_cents, result.pnl_cents, result.is_full_return) == (
        30_000,
        5_000,
        False,
    )
    assert result.remaining_allocation == 25_000 and result.wallet_balance == 80_000
    assert (result.transaction.type, result.transaction.amount_cents) == ("deallocate", 25_000)
    found = await ctx.wallet.allocation(user, "b1")
    assert found is not None
    assert (found.allocated_cents, found.current_value_cents, found.lifetime_pnl_cents) == (
        25_000,
        30_000,
        5_000,
    )
    recent = (await ctx.wallet.view(user)).recent
    assert [(t.type, t.amount_cents, t.balance_after_cents) for t in recent[:2]] == [
        ("profit", 5_000, 80_000),
        ("deallocate", 25_000, 75_000),
    ]

    # Then it drops to $200: everything back is $250 lent and a $50 loss.
    result = await ctx.wallet.return_from_allocation(user, "b1", 20_000, current_value_cents=20_000)
    assert (result.returned_cents, result.pnl_cents, result.is_full_return) == (
        20_000,
        -5_000,
        True,
    )
    assert result.remaining_allocation == 0 and result.wallet_balance == 100_000
    assert await ctx.wallet.allocation(user, "b1") is None
    recent = (await ctx.wallet.view(user)).recent
    assert [(t.type, t.amount_cents) for t in recent[:2]] == [
        ("loss", 5_000),
        ("deallocate", 25_000),
    ]

    with pytest.raises(NotFound):
        await ctx.wallet.return_from_allocation(user, "b1", 1, current_value_cents=1)
    assert await ctx.wallet.invariant_holds(user)


async def test_a_return_never_exceeds_the_live_value(ctx: Ctx) -> None:
    user = await ctx.user()
    await ctx.wallet.allocate(user, "b1", "S (b1)", 50_000)
    with pytest.raises(BadInput) as excinfo:
        await ctx.wallet.return_from_allocation(user, "b1", 40_001, current_value_cents=40_000)
    assert excinfo.value.code == "RETURN_EXCEEDS_VALUE"
    with pytest.raises(BadInput) as excinfo:
        await ctx.wallet.return_from_allocation(user, "b1", 0, current_value_cents=40_000)
    assert excinfo.value.code == "INVALID_AMOUNT"
    assert (await ctx.wallet.view(user)).balance_cents == 50_000


async def test_close_allocation_cashes_out_the_final_value(ctx: Ctx) -> None:
    user = await ctx.user()
    assert await ctx.wallet.close_allocation(user, "b1", 100, "Bot deleted") is None
    await ctx.wallet.allocate(user, "b1", "S (b1)", 30_000)
    await ctx.wallet.allocate(user, "b2", "S (b2)", 30_000)

    result = await ctx.wallet.close_allocation(user, "b1", 0, "Bot deleted")
    assert result is not None and result.is_full_return
    assert (result.returned_cents, result.pnl_cents, result.wallet_balance) == (0, -30_000, 40_000)
    assert result.transaction.description == "Bot deleted"

    result = await ctx.wallet.close_allocation(user, "b2", 30_000, "Provisioning failed")
    assert result is not None and result.pnl_cents == 0 and result.wallet_balance == 70_000
    view = await ctx.wallet.view(user)
    assert view.allocations == ()
    # A zero profit books no profit/loss row.
    assert [t.type for t in view.recent[:3]] == ["deallocate", "loss", "deallocate"]
    assert await ctx.wallet.invariant_holds(user)


async def test_update_values_feeds_totals_without_moving_money(ctx: Ctx) -> None:
    user = await ctx.user()
    await ctx.wallet.allocate(user, "b1", "S (b1)", 30_000)
    await ctx.wallet.allocate(user, "b2", "S (b2)", 20_000)
    await ctx.wallet.update_values(
        user, {"b1": (33_000, 10_000), "b2": (18_000, 0), "ghost": (1, 1)}
    )
    view = await ctx.wallet.view(user)
    by_id = {a.bot_id: a for a in view.allocations}
    assert set(by_id) == {"b1", "b2"}
    assert (by_id["b1"].current_value_cents, by_id["b1"].reserved_cents) == (33_000, 10_000)
    assert by_id["b1"].available_cents == 23_000
    assert view.total_allocated_cents == 50_000 and view.total_current_value_cents == 51_000
    assert view.total_portfolio_value_cents == 50_000 + 51_000
    assert view.unrealized_pnl_cents == 1_000
    assert len(view.recent) == 3 and view.balance_cents == 50_000


async def test_sync_returns_allocations_of_vanished_bots(ctx: Ctx) -> None:
    user = await ctx.user()
    await ctx.wallet.allocate(user, "b1", "S (b1)", 30_000)
    await ctx.wallet.allocate(user, "b2", "S (b2)", 20_000)
    await ctx.wallet.update_values(user, {"b2": (25_000, 0)})
    result = await ctx.wallet.sync(user, {"b1"})
    assert (result.valid_allocations, result.cleaned_bots) == (1, ["b2"])
    assert (result.total_returned_cents, result.new_balance_cents) == (25_000, 75_000)
    view = await ctx.wallet.view(user)
    assert [t.description for t in view.recent[:2]] == [
        "Profit realised from S (b2)",
        "Returned from vanished bot",
    ]
    again = await ctx.wallet.sync(user, {"b1"})
    assert (again.valid_allocations, again.cleaned_bots, again.total_returned_cents) == (1, [], 0)
    assert await ctx.wallet.invariant_holds(user)


async def test_users_do_not_share_wallets(ctx: Ctx) -> None:
    alice, bob = await ctx.user("alice"), await ctx.user("bob")
    await ctx.wallet.allocate(alice, "a1", "S (a1)", 10_000)
    await ctx.wallet.withdraw(bob, 1_000, "bob only")
    assert (await ctx.wallet.view(alice)).balance_cents == 90_000
    bob_view = await ctx.wallet.view(bob)
    assert bob_view.balance_cents == 99_000 and bob_view.allocations == ()
    assert await ctx.wallet.allocation(bob, "a1") is None
    with pytest.raises(NotFound):
        await ctx.wallet.add_to_allocation(bob, "a1", 100)
    async with ctx.db.engine.connect() as conn:
        seqs = (
            await conn.execute(
                select(wallet_transactions.c.seq)
                .where(wallet_transactions.c.user_id == bob)
                .order_by(wallet_transactions.c.seq)
            )
        ).scalars()
        assert list(seqs) == [1, 2]


async def test_concurrent_withdrawals_never_overdraw(ctx: Ctx) -> None:
    user = await ctx.user()
    outcomes = await asyncio.gather(
        *(ctx.wallet.withdraw(user, 30_000, "race") for _ in range(6)), return_exceptions=True
    )
    succeeded = [o for o in outcomes if not isinstance(o, BaseException)]
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(succeeded) == 3
    assert all(isinstance(f, BadInput) and f.code == "INSUFFICIENT_FUNDS" for f in failed)
    assert (await ctx.wallet.view(user)).balance_cents == 10_000
    assert sorted(s.balance_cents for s in succeeded) == [10_000, 40_000, 70_000]
    assert await ctx.wallet.invariant_holds(user)
