"""Writes a mapped `Plan` into the new database: one transaction per user, idempotent.

`legacy_ids` remembers which row each source document became and the document's checksum:
an unchanged document is skipped, a changed one updated. A user whose e-mail already exists
on the new platform (registered there) keeps its id and row (`users.linked`); its wallet is
imported only when it has none yet (otherwise `wallets.kept`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.adopt.mongo.mapping import Plan, SnapshotRow, UserRow
from gateway.adopt.mongo.report import Report
from gateway.db.database import Database
from gateway.services.common import Clock, new_id, utcnow
from migrations.schema import (
    bots,
    legacy_ids,
    portfolio_snapshots,
    users,
    wallet_allocations,
    wallet_transactions,
    wallets,
)

logger = logging.getLogger(__name__)

LINKED = "users.linked"
KEPT = "wallets.kept"
ADOPT = "not imported: adopt the old bot folder with `cryptopilot bot adopt`"


def record_rejections(plan: Plan, report: Report) -> None:
    """Report what could not be read or mapped (both for dry runs and real runs)."""
    report.problems.extend(plan.read_problems)
    for item in plan.rejected:
        report.add(item.kind, item.legacy_id, "skipped", "invalid document")
        report.problems.append(f"{item.kind} {item.legacy_id}: {'; '.join(item.problems)}")
    for user in plan.users:
        report.notes.extend(f"user {user.email}: {note}" for note in user.notes)


def dry_run(plan: Plan) -> Report:
    """The report of an import that writes nothing."""
    report = Report(dry_run=True)
    record_rejections(plan, report)
    for user in plan.users:
        report.add("users", user.legacy_id, "would import")
        if user.wallet is not None:
            report.add("wallets", user.legacy_id, "would import")
    for snapshot in plan.snapshots:
        report.add("portfoliosnapshots", snapshot.legacy_id, "would import")
    for bot in plan.bots:
        report.add("bots", bot.instance_id, "skipped", ADOPT)
    return report


class Importer:
    """Imports plans into one database."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    async def run(self, plan: Plan) -> Report:
        report = Report()
        record_rejections(plan, report)
        snapshots: dict[str, list[SnapshotRow]] = {}
        for snapshot in plan.snapshots:
            snapshots.setdefault(snapshot.user_legacy_id, []).append(snapshot)
        for user in plan.users:
            before = len(report.lines)
            try:
                async with self.db.engine.begin() as conn:
                    step = _UserImport(conn, self.clock(), report)
                    user_id = await step.user(user)
                    await step.wallet(user, user_id)
                    for snapshot in snapshots.get(user.legacy_id, []):
                        await step.snapshot(snapshot, user_id)
            except IntegrityError as exc:
                # The transaction rolled back: drop this user's lines of this run.
                del report.lines[before:]
                report.add("users", user.legacy_id, "skipped", "refused by the database")
                report.problems.append(f"users {user.legacy_id} ({user.email}): {exc.orig}")
        await self._bots(plan, report)
        logger.info("mongo import finished: %s", report.counts())
        return report

    async def _bots(self, plan: Plan, report: Report) -> None:
        async with self.db.engine.connect() as conn:
            existing = set((await conn.execute(select(bots.c.id))).scalars())
            allocated = (
                await conn.execute(
                    select(wallet_allocations.c.bot_id, wallet_allocations.c.user_id)
                    .join(legacy_ids, legacy_ids.c.new_id == wallet_allocations.c.user_id)
                    .where(legacy_ids.c.collection == "wallets")
                )
            ).all()
        for bot in plan.bots:
            if bot.instance_id in existing:
                report.add("bots", bot.instance_id, "skipped", "already on the new platform")
            else:
                report.add("bots", bot.instance_id, "skipped", ADOPT)
        orphans = sorted({row.bot_id for row in allocated if row.bot_id not in existing})
        if orphans:
            report.notes.append(
                f"{len(orphans)} imported allocation(s) have no bot on the new platform yet "
                f"({', '.join(orphans)}): kept as allocations; wallet sync (W7) returns them "
                "to the wallet unless the bot is adopted first"
            )


class _UserImport:
    """The writes of one user inside one transaction."""

    def __init__(self, conn: AsyncConnection, now: datetime, report: Report) -> None:
        self.conn = conn
        self.now = now
        self.report = report

    async def user(self, user: UserRow) -> str:
        """The new id of the user, inserting or updating the row as needed."""
        for collection in ("users", LINKED):
            known = await self._legacy(collection, user.legacy_id)
            if known is None:
                continue
            new, old_checksum = known
            if old_checksum == user.checksum:
                self.report.add("users", user.legacy_id, "skipped", "unchanged")
            elif collection == LINKED:
                await self._remember(collection, user.legacy_id, new, user.checksum)
                self.report.add("users", user.legacy_id, "skipped", "linked account kept as is")
            else:
                await self.conn.execute(
                    update(users).where(users.c.id == new).values(**self._values(user))
                )
                await self._remember(collection, user.legacy_id, new, user.checksum)
                self.report.add("users", user.legacy_id, "updated")
            return new
        row = (
            await self.conn.execute(select(users.c.id).where(users.c.email == user.email))
        ).first()
        if row is not None:
            await self._remember(LINKED, user.legacy_id, row.id, user.checksum)
            self.report.add(
                "users", user.legacy_id, "skipped", "e-mail already registered (linked)"
            )
            return str(row.id)
        new = new_id()
        values = self._values(user)
        if user.firebase_uid is not None:
            taken = select(users.c.id).where(users.c.firebase_uid == user.firebase_uid)
            if (await self.conn.execute(taken)).first() is not None:
                values["firebase_uid"] = None
                self.report.notes.append(f"user {user.email}: firebaseUid in use, not linked")
        await self.conn.execute(insert(users).values(id=new, **values))
        await self._remember("users", user.legacy_id, new, user.checksum)
        self.report.add("users", user.legacy_id, "imported")
        return new

    async def wallet(self, user: UserRow, user_id: str) -> None:
        plan = user.wallet
        if plan is None:
            return
        known = await self._legacy("wallets", user.legacy_id)
        if known is not None and known[1] == user.wallet_checksum:
            self.report.add("wallets", user.legacy_id, "skipped", "unchanged")
            return
        if known is None:
            has_wallet = select(wallets.c.user_id).where(wallets.c.user_id == user_id)
            if (await self.conn.execute(has_wallet)).first() is not None:
                await self._remember(KEPT, user.legacy_id, user_id, user.wallet_checksum)
                reason = "the account already has a wallet on the new platform"
                self.report.add("wallets", user.legacy_id, "skipped", reason)
                return
        for table in (wallet_transactions, wallet_allocations, wallets):
            await self.conn.execute(delete(table).where(table.c.user_id == user_id))
        await self.conn.execute(
            insert(wallets).values(
                user_id=user_id,
                currency=plan.currency,
                balance_cents=plan.balance_cents,
                deposited_cents=plan.deposited_cents,
                withdrawn_cents=plan.withdrawn_cents,
                realised_pnl_cents=plan.realised_pnl_cents,
                created_at=plan.created_at,
                updated_at=plan.updated_at,
            )
        )
        for a in plan.allocations:
            await self.conn.execute(
                insert(wallet_allocations).values(
                    user_id=user_id, valued_at=plan.updated_at, **a.__dict__
                )
            )
        for seq, row in enumerate(plan.ledger, start=1):
            await self.conn.execute(
                insert(wallet_transactions).values(
                    id=new_id(), user_id=user_id, seq=seq, **row.__dict__
                )
            )
        await self._remember("wallets", user.legacy_id, user_id, user.wallet_checksum)
        self.report.add("wallets", user.legacy_id, "imported" if known is None else "updated")

    async def snapshot(self, snapshot: SnapshotRow, user_id: str) -> None:
        values = {
            "user_id": user_id,
            "at": snapshot.at,
            "portfolio_value_cents": snapshot.portfolio_value_cents,
            "total_pnl_cents": snapshot.total_pnl_cents,
            "starting_capital_cents": snapshot.starting_capital_cents,
            "active_bots": snapshot.active_bots,
            "bot_count": snapshot.bot_count,
        }
        kind = "portfoliosnapshots"
        known = await self._legacy(kind, snapshot.legacy_id)
        if known is None:
            new = new_id()
            await self.conn.execute(insert(portfolio_snapshots).values(id=new, **values))
            self.report.add(kind, snapshot.legacy_id, "imported")
        elif known[1] == snapshot.checksum:
            self.report.add(kind, snapshot.legacy_id, "skipped", "unchanged")
            return
        else:
            new = known[0]
            where = portfolio_snapshots.c.id == new
            await self.conn.execute(update(portfolio_snapshots).where(where).values(**values))
            self.report.add(kind, snapshot.legacy_id, "updated")
        await self._remember(kind, snapshot.legacy_id, new, snapshot.checksum)

    def _values(self, user: UserRow) -> dict[str, object]:
        return {
            "email": user.email,
            "username": user.username,
            "display_name": user.display_name,
            "avatar": user.avatar,
            "password_hash": user.password_hash,
            "auth_provider": user.auth_provider,
            "firebase_uid": user.firebase_uid,
            "role": user.role,
            "email_verified": user.email_verified,
            "timezone": user.timezone,
            "preferred_currency": user.preferred_currency,
            "created_at": user.created_at,
            "updated_at": self.now,
            "last_login": user.last_login,
        }

    async def _legacy(self, collection: str, legacy_id: str) -> tuple[str, str] | None:
        row = (
            await self.conn.execute(
                select(legacy_ids.c.new_id, legacy_ids.c.checksum).where(
                    legacy_ids.c.collection == collection, legacy_ids.c.legacy_id == legacy_id
                )
            )
        ).first()
        return None if row is None else (str(row.new_id), str(row.checksum))

    async def _remember(self, collection: str, legacy_id: str, new: str, checksum: str) -> None:
        where = (legacy_ids.c.collection == collection) & (legacy_ids.c.legacy_id == legacy_id)
        done = await self.conn.execute(
            update(legacy_ids)
            .where(where)
            .values(new_id=new, checksum=checksum, updated_at=self.now)
        )
        if done.rowcount == 0:
            await self.conn.execute(
                insert(legacy_ids).values(
                    collection=collection,
                    legacy_id=legacy_id,
                    new_id=new,
                    checksum=checksum,
                    imported_at=self.now,
                    updated_at=self.now,
                )
            )
