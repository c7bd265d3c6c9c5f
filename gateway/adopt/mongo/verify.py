"""After an import: do the counts and wallet sums of the target match the source?

Compares, for the documents the mapping accepts: users present, wallets present, Σ balances,
Σ allocations and snapshot counts; and checks every imported wallet's own books (ledger ends at
the balance, `balance + Σ allocated = deposited − withdrawn + realised_pnl`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.adopt.mongo.importer import KEPT, LINKED
from gateway.adopt.mongo.mapping import Plan
from gateway.db.database import Database
from gateway.services.money.money import dollars
from migrations.schema import (
    legacy_ids,
    portfolio_snapshots,
    users,
    wallet_allocations,
    wallet_transactions,
    wallets,
)


@dataclass(frozen=True)
class Check:
    """One comparison between source and target."""

    name: str
    source: str
    target: str

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass
class Verification:
    """All checks and the individual records that differ."""

    checks: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks) and not self.problems

    def render(self) -> str:
        out = ["Verification", "============"]
        for c in self.checks:
            mark = "ok" if c.ok else "MISMATCH"
            out.append(f"{c.name:28} source {c.source:>16}  target {c.target:>16}  {mark}")
        out.extend(f"  - {problem}" for problem in self.problems)
        out.append("verification passed" if self.ok else "verification FAILED")
        return "\n".join(out)


async def verify(db: Database, plan: Plan) -> Verification:
    """Compare the mapped source with what the target database holds."""
    result = Verification()
    async with db.engine.connect() as conn:
        mapped = await _mapped(conn)
        emails = await _pairs(conn, select(users.c.id, users.c.email))
        found = 0
        for user in plan.users:
            new = mapped.get(("users", user.legacy_id)) or mapped.get((LINKED, user.legacy_id))
            if new is not None and emails.get(new) == user.email:
                found += 1
            else:
                result.problems.append(f"user {user.email} ({user.legacy_id}) is missing")
        result.checks.append(Check("users", str(len(plan.users)), str(found)))

        kept = {legacy for (kind, legacy) in mapped if kind == KEPT}
        expected = [u for u in plan.users if u.wallet is not None and u.legacy_id not in kept]
        balances = await _pairs(conn, select(wallets.c.user_id, wallets.c.balance_cents))
        allocated = await _pairs(
            conn,
            select(
                wallet_allocations.c.user_id, func.sum(wallet_allocations.c.allocated_cents)
            ).group_by(wallet_allocations.c.user_id),
        )
        present = [u for u in expected if mapped.get(("wallets", u.legacy_id)) in balances]
        targets = [mapped[("wallets", u.legacy_id)] for u in present]
        source_balance = sum(u.wallet.balance_cents for u in expected if u.wallet)
        source_allocated = sum(u.wallet.allocated_cents for u in expected if u.wallet)
        target_balance = sum(int(balances[t]) for t in targets)
        target_allocated = sum(int(allocated.get(t) or 0) for t in targets)
        result.checks.append(Check("wallets", str(len(expected)), str(len(present))))
        result.checks.append(
            Check("sum of balances", dollars(source_balance), dollars(target_balance))
        )
        result.checks.append(
            Check("sum of allocations", dollars(source_allocated), dollars(target_allocated))
        )
        for user_id in targets:
            problem = await _books(conn, user_id)
            if problem:
                result.problems.append(f"wallet of user {user_id}: {problem}")

        snapshot_ids = set((await conn.execute(select(portfolio_snapshots.c.id))).scalars())
        snapshots = sum(
            1
            for s in plan.snapshots
            if mapped.get(("portfoliosnapshots", s.legacy_id)) in snapshot_ids
        )
        result.checks.append(Check("portfolio snapshots", str(len(plan.snapshots)), str(snapshots)))
    return result


async def _pairs(conn: AsyncConnection, query: Select[Any]) -> dict[Any, Any]:
    """A two-column query as a dict."""
    return {row[0]: row[1] for row in await conn.execute(query)}


async def _mapped(conn: AsyncConnection) -> dict[tuple[str, str], str]:
    rows = await conn.execute(
        select(legacy_ids.c.collection, legacy_ids.c.legacy_id, legacy_ids.c.new_id)
    )
    return {(r.collection, r.legacy_id): r.new_id for r in rows}


async def _books(conn: AsyncConnection, user_id: str) -> str | None:
    """Why this wallet's books do not balance, or None when they do."""
    wallet = (await conn.execute(select(wallets).where(wallets.c.user_id == user_id))).one()
    allocated = (
        await conn.execute(
            select(func.coalesce(func.sum(wallet_allocations.c.allocated_cents), 0)).where(
                wallet_allocations.c.user_id == user_id
            )
        )
    ).scalar_one()
    ledger = (
        await conn.execute(
            select(wallet_transactions.c.seq, wallet_transactions.c.balance_after_cents)
            .where(wallet_transactions.c.user_id == user_id)
            .order_by(wallet_transactions.c.seq)
        )
    ).all()
    expected = wallet.deposited_cents - wallet.withdrawn_cents + wallet.realised_pnl_cents
    if wallet.balance_cents + int(allocated) != expected:
        return "balance + allocated != deposited - withdrawn + realised pnl"
    if [row.seq for row in ledger] != list(range(1, len(ledger) + 1)):
        return "ledger seq is not 1..n"
    if ledger and ledger[-1].balance_after_cents != wallet.balance_cents:
        return "ledger does not end at the balance"
    return None
