"""An old `paperWallet` + `walletTransactions` + `botAllocations` as new wallet rows.

The new wallet keeps `balance + Σ allocated = deposited − withdrawn + realised_pnl` and a ledger
numbered 1..n whose `balance_after` runs up to the balance. Old data need not add up, so the
history is replayed as is and explicit, balance-neutral or carry-over rows close the gaps:
- a bot whose allocation differs from its allocate/deallocate history gets `deposit`+`allocate`
  (more allocated than the history says) or `deallocate`+`loss` (less);
- a final `deposit`/`withdraw` "Balance carried over from the old platform" makes the ledger end
  at the old balance.
Each such row is reported as an adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.adopt.mongo import values as v
from gateway.services.money.money import dollars
from gateway.services.money.wallet_ledger import SIGN, TransactionType

CARRY_OVER = "Balance carried over from the old platform"


@dataclass(frozen=True)
class LedgerRow:
    """One wallet_transactions row before ids are given (seq is its place in the list + 1)."""

    type: TransactionType
    amount_cents: int
    bot_id: str | None
    bot_name: str | None
    description: str
    balance_after_cents: int
    created_at: datetime


@dataclass(frozen=True)
class AllocationRow:
    """One wallet_allocations row."""

    bot_id: str
    bot_name: str
    allocated_cents: int
    current_value_cents: int
    reserved_cents: int
    lifetime_pnl_cents: int
    allocated_at: datetime


@dataclass
class WalletPlan:
    """The wallet row's values, its allocations and its ledger; `notes` explain adjustments."""

    currency: str
    balance_cents: int
    deposited_cents: int
    withdrawn_cents: int
    realised_pnl_cents: int
    created_at: datetime
    updated_at: datetime
    allocations: list[AllocationRow]
    ledger: list[LedgerRow]
    notes: list[str] = field(default_factory=list)

    @property
    def allocated_cents(self) -> int:
        return sum(a.allocated_cents for a in self.allocations)


@dataclass(frozen=True)
class _Move:
    type: TransactionType
    amount_cents: int
    bot_id: str | None
    bot_name: str | None
    description: str
    created_at: datetime


def plan_wallet(
    wallet: Any, transactions: Any, allocations: Any, *, created_at: datetime
) -> WalletPlan:
    """The new wallet for one user; raises `BadValue` when the wallet itself is unusable."""
    if not isinstance(wallet, dict):
        raise v.BadValue("paperWallet must be a document")
    balance = v.cents(wallet.get("balance", 0), "paperWallet.balance")
    currency = v.text(wallet.get("currency"), "paperWallet.currency", "USD") or "USD"
    updated = v.optional_moment(wallet.get("lastUpdated"), "paperWallet.lastUpdated") or created_at
    notes: list[str] = []
    allocation_rows = _allocations(allocations, created_at, notes)
    moves = _history(transactions, created_at, notes)
    moves.extend(_allocation_fixes(moves, allocation_rows, updated, notes))
    replayed = sum(SIGN[m.type] * m.amount_cents for m in moves)
    if replayed != balance:
        kind: TransactionType = "deposit" if balance > replayed else "withdraw"
        gap = abs(balance - replayed)
        moves.append(_Move(kind, gap, None, None, CARRY_OVER, updated))
        notes.append(f"ledger adjusted: {kind} {dollars(gap)} ({CARRY_OVER.lower()})")
    plan = WalletPlan(currency, balance, 0, 0, 0, created_at, updated, allocation_rows, [])
    running = 0
    for move in moves:
        running += SIGN[move.type] * move.amount_cents
        if move.type == "deposit":
            plan.deposited_cents += move.amount_cents
        elif move.type == "withdraw":
            plan.withdrawn_cents += move.amount_cents
        elif move.type in ("profit", "loss"):
            plan.realised_pnl_cents += SIGN[move.type] * move.amount_cents
        plan.ledger.append(
            LedgerRow(
                move.type,
                move.amount_cents,
                move.bot_id,
                move.bot_name,
                move.description,
                running,
                move.created_at,
            )
        )
    plan.notes = notes
    return plan


def _allocations(raw: Any, default_at: datetime, notes: list[str]) -> list[AllocationRow]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise v.BadValue("botAllocations must be a document keyed by instanceId")
    rows = []
    for bot_id, item in sorted(raw.items()):
        try:
            if not isinstance(item, dict):
                raise v.BadValue("not a document")
            allocated = v.cents(item.get("allocatedAmount"), "allocatedAmount")
            current = item.get("currentValue")
            rows.append(
                AllocationRow(
                    bot_id=str(bot_id),
                    bot_name=v.text(item.get("botName"), "botName") or str(bot_id),
                    allocated_cents=allocated,
                    current_value_cents=allocated
                    if current is None
                    else v.cents(current, "currentValue", minimum=None),
                    reserved_cents=v.cents(item.get("reservedInTrades", 0), "reservedInTrades"),
                    lifetime_pnl_cents=v.cents(
                        item.get("lifetimePnL", 0), "lifetimePnL", minimum=None
                    ),
                    allocated_at=v.optional_moment(item.get("allocatedAt"), "allocatedAt")
                    or default_at,
                )
            )
        except v.BadValue as exc:
            notes.append(f"allocation {bot_id} skipped: {exc}")
    return rows


def _history(raw: Any, default_at: datetime, notes: list[str]) -> list[_Move]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise v.BadValue("walletTransactions must be an array")
    moves: list[tuple[datetime, int, _Move]] = []
    for index, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise v.BadValue("not a document")
            kind = item.get("type")
            if kind not in SIGN:
                raise v.BadValue(f"unknown type {kind!r}")
            at = v.optional_moment(item.get("timestamp"), "timestamp") or default_at
            bot_id = item.get("botId")
            move = _Move(
                kind,
                v.cents(item.get("amount"), "amount"),
                None if bot_id is None else str(bot_id),
                v.text(item.get("botName"), "botName") or None,
                v.text(item.get("description"), "description") or f"Imported {kind}",
                at,
            )
        except v.BadValue as exc:
            notes.append(f"transaction {index + 1} skipped: {exc}")
            continue
        moves.append((at, index, move))
    return [move for _at, _index, move in sorted(moves, key=lambda m: (m[0], m[1]))]


def _allocation_fixes(
    moves: list[_Move], allocations: list[AllocationRow], at: datetime, notes: list[str]
) -> list[_Move]:
    """Balance-neutral row pairs that make the allocate/deallocate history match allocations."""
    net: dict[str | None, int] = {}
    names: dict[str | None, str | None] = {}
    for move in moves:
        if move.type in ("allocate", "deallocate"):
            net[move.bot_id] = net.get(move.bot_id, 0) - SIGN[move.type] * move.amount_cents
            names[move.bot_id] = move.bot_name
    current: dict[str | None, int] = {a.bot_id: a.allocated_cents for a in allocations}
    names.update({a.bot_id: a.bot_name for a in allocations})
    fixes: list[_Move] = []
    for bot_id in sorted(set(net) | set(current), key=lambda b: b or ""):
        gap = current.get(bot_id, 0) - net.get(bot_id, 0)
        name = names.get(bot_id)
        label = bot_id or "(no bot)"
        if gap > 0:
            text = "Allocation carried over from the old platform"
            fixes.append(_Move("deposit", gap, bot_id, name, text, at))
            fixes.append(_Move("allocate", gap, bot_id, name, text, at))
            notes.append(f"ledger adjusted: allocation of {label} +{dollars(gap)}")
        elif gap < 0:
            text = "Unrecorded bot result carried over from the old platform"
            fixes.append(_Move("deallocate", -gap, bot_id, name, text, at))
            fixes.append(_Move("loss", -gap, bot_id, name, text, at))
            notes.append(f"ledger adjusted: allocation of {label} -{dollars(-gap)}")
    return fixes
