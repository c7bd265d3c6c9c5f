"""Old MongoDB documents as new rows: pure functions, each giving rows or the problems found.

`plan(source)` maps a whole `Source`: users (first of each e-mail wins), their wallets, their
portfolio snapshots, and the old bot records (kept as report lines only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId

from gateway.adopt.mongo import values as v
from gateway.adopt.mongo.reader import BOTS, SNAPSHOTS, USERS, Document, Source
from gateway.adopt.mongo.wallet_plan import WalletPlan, plan_wallet

WALLET_FIELDS = ("paperWallet", "walletTransactions", "botAllocations")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# bcrypt hashes as the old Node server (bcryptjs) and the new gateway write them.
_BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")


@dataclass(frozen=True)
class Rejected:
    """A document that cannot be imported, and why."""

    kind: str
    legacy_id: str
    problems: list[str]


@dataclass
class UserRow:
    """One old user document as a `users` row plus its wallet (None: no paperWallet)."""

    legacy_id: str
    checksum: str
    email: str
    username: str
    display_name: str
    avatar: str
    password_hash: str | None
    auth_provider: str
    firebase_uid: str | None
    role: str
    email_verified: bool
    timezone: str
    preferred_currency: str
    created_at: datetime
    last_login: datetime | None
    wallet: WalletPlan | None
    wallet_checksum: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SnapshotRow:
    """One old portfolio snapshot as a `portfolio_snapshots` row (user still a legacy id)."""

    legacy_id: str
    checksum: str
    user_legacy_id: str
    at: datetime
    portfolio_value_cents: int
    total_pnl_cents: int
    starting_capital_cents: int
    active_bots: int
    bot_count: int


@dataclass(frozen=True)
class LegacyBot:
    """An old bot record: reported, not imported (old bot folders are adopted instead)."""

    instance_id: str
    user_legacy_id: str
    strategy: str


@dataclass
class Plan:
    """Everything the source maps to, and everything it could not."""

    users: list[UserRow] = field(default_factory=list)
    snapshots: list[SnapshotRow] = field(default_factory=list)
    bots: list[LegacyBot] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    read_problems: list[str] = field(default_factory=list)


def plan(source: Source, *, now: datetime) -> Plan:
    """Map every document of `source`; duplicates of an e-mail or Firebase uid are rejected."""
    result = Plan(read_problems=list(source.problems))
    emails: dict[str, str] = {}
    uids: dict[str, str] = {}
    for document in source.documents[USERS]:
        user = map_user(document, now=now)
        if isinstance(user, Rejected):
            result.rejected.append(user)
        elif user.email in emails:
            duplicate = (
                f"duplicate e-mail {user.email} (already imported from {emails[user.email]})"
            )
            result.rejected.append(Rejected(USERS, user.legacy_id, [duplicate]))
        elif user.firebase_uid is not None and user.firebase_uid in uids:
            duplicate = f"duplicate firebaseUid (already imported from {uids[user.firebase_uid]})"
            result.rejected.append(Rejected(USERS, user.legacy_id, [duplicate]))
        else:
            emails[user.email] = user.legacy_id
            if user.firebase_uid is not None:
                uids[user.firebase_uid] = user.legacy_id
            result.users.append(user)
    known = {u.legacy_id for u in result.users}
    for document in source.documents[SNAPSHOTS]:
        snapshot = map_snapshot(document)
        if isinstance(snapshot, SnapshotRow) and snapshot.user_legacy_id not in known:
            snapshot = Rejected(SNAPSHOTS, snapshot.legacy_id, ["its user is not imported"])
        if isinstance(snapshot, Rejected):
            result.rejected.append(snapshot)
        else:
            result.snapshots.append(snapshot)
    for document in source.documents[BOTS]:
        bot = map_bot(document)
        if isinstance(bot, Rejected):
            result.rejected.append(bot)
        else:
            result.bots.append(bot)
    return result


def map_user(document: Document, *, now: datetime) -> UserRow | Rejected:
    """One old user document as a user row with its wallet."""
    raw_id = document.get("_id")
    try:
        legacy = v.legacy_id(raw_id)
    except v.BadValue:
        return Rejected(USERS, repr(raw_id), ["missing or unusable _id"])
    try:
        return _user(document, legacy, now)
    except v.BadValue as exc:
        return Rejected(USERS, legacy, [str(exc)])


def _user(document: Document, legacy: str, now: datetime) -> UserRow:
    email = v.text(document.get("email"), "email").lower()
    if not _EMAIL.match(email):
        raise v.BadValue(f"email is missing or not an e-mail address: {email!r}")
    notes: list[str] = []
    password = document.get("password")
    password_hash = password if isinstance(password, str) and _BCRYPT.match(password) else None
    if password is not None and password_hash is None:
        notes.append("password is not a bcrypt hash: imported without a password (reset needed)")
    uid = v.text(document.get("firebaseUid") or document.get("googleId"), "firebaseUid") or None
    role = v.text(document.get("role"), "role", "user")
    if role not in ("user", "admin"):
        notes.append(f"unknown role {role!r} imported as 'user'")
        role = "user"
    username = v.text(document.get("username") or document.get("name"), "username")
    username = username or email.split("@")[0]
    created = v.optional_moment(document.get("createdAt"), "createdAt")
    if created is None:
        created = raw.generation_time if isinstance(raw := document["_id"], ObjectId) else now
    wallet = None
    if document.get("paperWallet") is not None:
        wallet = plan_wallet(
            document["paperWallet"],
            document.get("walletTransactions"),
            document.get("botAllocations"),
            created_at=created,
        )
        notes.extend(wallet.notes)
    else:
        notes.append("no paperWallet: the new platform's starting balance applies")
    return UserRow(
        legacy_id=legacy,
        checksum=v.checksum(document),
        email=email,
        username=username,
        display_name=v.text(document.get("displayName"), "displayName") or username,
        avatar=v.text(document.get("avatar"), "avatar"),
        password_hash=password_hash,
        auth_provider="google" if uid and password_hash is None else "local",
        firebase_uid=uid,
        role=role,
        email_verified=bool(document.get("emailVerified") or document.get("isEmailVerified")),
        timezone=v.text(document.get("timezone"), "timezone", "UTC") or "UTC",
        preferred_currency=v.text(document.get("preferredCurrency"), "preferredCurrency", "USD")
        or "USD",
        created_at=created,
        last_login=v.optional_moment(document.get("lastLogin"), "lastLogin"),
        wallet=wallet,
        wallet_checksum=v.checksum({k: document.get(k) for k in WALLET_FIELDS}),
        notes=notes,
    )


def map_snapshot(document: Document) -> SnapshotRow | Rejected:
    """One old portfolio snapshot document."""
    raw_id = document.get("_id")
    try:
        legacy = v.legacy_id(raw_id)
    except v.BadValue:
        return Rejected(SNAPSHOTS, repr(raw_id), ["missing or unusable _id"])
    try:
        starting = _first(document, "startingCapital", "totalStartingCapital", "startingBalance")
        return SnapshotRow(
            legacy_id=legacy,
            checksum=v.checksum(document),
            user_legacy_id=v.legacy_id(document.get("userId")),
            at=v.moment(_first(document, "timestamp", "createdAt"), "timestamp"),
            portfolio_value_cents=v.cents(
                _first(document, "portfolioValue", "totalBalance"), "portfolioValue", minimum=None
            ),
            total_pnl_cents=v.cents(
                _first(document, "totalPnL", "profitLoss") or 0, "totalPnL", minimum=None
            ),
            starting_capital_cents=v.cents(starting or 0, "startingCapital", minimum=None),
            active_bots=v.count(document.get("activeBots", 0), "activeBots"),
            bot_count=v.count(document.get("botCount", 0), "botCount"),
        )
    except v.BadValue as exc:
        return Rejected(SNAPSHOTS, legacy, [str(exc)])


def map_bot(document: Document) -> LegacyBot | Rejected:
    """One old bot record (`bots` / `botinstances`)."""
    try:
        instance = v.text(document.get("instanceId"), "instanceId")
        if not instance:
            raise v.BadValue("instanceId is missing")
        return LegacyBot(
            instance_id=instance,
            user_legacy_id=v.legacy_id(document.get("userId")),
            strategy=v.text(document.get("strategy"), "strategy"),
        )
    except v.BadValue as exc:
        return Rejected(BOTS, str(document.get("instanceId") or document.get("_id")), [str(exc)])


def _first(document: Document, *names: str) -> Any:
    for name in names:
        if document.get(name) is not None:
            return document[name]
    return None
