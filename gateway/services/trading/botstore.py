"""The `bots` table: one record per paper bot, who owns it, where it runs and how it trades."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from gateway.db.database import Database
from gateway.errors import Conflict, NotFound
from gateway.services.common import Clock, utcnow
from gateway.services.recent import RecentCache
from migrations.schema import bots

DesiredState = Literal["provisioning", "running", "stopped", "deleting"]


@dataclass(frozen=True)
class BotEndpoint:
    """How the gateway reaches one bot's FreqTrade REST API (server side only).

    The password is not here: BotApiClient derives it from the pools' token when it logs in
    (runtime/credentials.py), so it is never stored.
    """

    bot_id: str
    url: str
    username: str


@dataclass(frozen=True)
class BotRecord:
    """One row of `bots`."""

    id: str
    user_id: str
    pool_id: str | None
    strategy: str
    exchange: str
    stake_currency: str
    stake_amount: str
    max_open_trades: int
    timeframe: str
    pairs: list[str]
    dry_run: bool
    wallet_cents: int
    desired_state: DesiredState
    observed_state: str
    status_message: str
    api_url: str | None
    api_username: str | None
    api_port: int | None
    created_at: datetime
    updated_at: datetime
    last_seen: datetime | None
    strategy_commit: str | None  # the store version it runs; None: the shipped strategies/
    strategy_version: int | None
    restarts: int  # how often its pool restarted it after it exited, as the pool last said

    @property
    def endpoint(self) -> BotEndpoint | None:
        """The bot's API, once a pool has reported it."""
        if not (self.api_url and self.api_username):
            return None
        return BotEndpoint(self.id, self.api_url, self.api_username)

    @property
    def bot_name(self) -> str:
        """The allocation label the frontend shows: `<strategy> (<instanceId>)`."""
        return f"{self.strategy} ({self.id})"

    @property
    def stake_amount_value(self) -> float | Literal["unlimited"]:
        """`stake_amount` as FreqTrade takes it: a number or `"unlimited"`."""
        return "unlimited" if self.stake_amount == "unlimited" else float(self.stake_amount)


_FIELDS = tuple(f.name for f in fields(BotRecord))


def _record(row: Row[Any]) -> BotRecord:
    # The record's columns only (the row may carry more, e.g. joined ones).
    values = {name: row._mapping[name] for name in _FIELDS}
    values["pairs"] = json.loads(values["pairs"])
    return BotRecord(**values)


class BotStore:
    """Reads and writes `bots`; ownership checks live here so every route applies them alike."""

    def __init__(self, db: Database, clock: Clock = utcnow, *, recent_ttl: float = 0.0) -> None:
        self.db = db
        self.clock = clock
        self._recent: RecentCache[str, BotRecord] = RecentCache(recent_ttl)

    async def create(self, **values: Any) -> BotRecord:
        """Insert a new bot (claims the id); 409 `BOT_EXISTS` when the id is taken."""
        now = self.clock()
        row = {
            **values,
            "pairs": json.dumps(values["pairs"]),
            "observed_state": values.get("observed_state", "unknown"),
            "status_message": values.get("status_message", ""),
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(insert(bots).values(**row))
        except IntegrityError:
            raise Conflict(f"A bot named {values['id']} already exists", "BOT_EXISTS") from None
        found = await self.find(values["id"])
        assert found is not None  # noqa: S101 - just inserted
        return found

    async def find(self, bot_id: str) -> BotRecord | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(select(bots).where(bots.c.id == bot_id))).first()
        return None if row is None else _record(row)

    async def owned(self, user_id: str, bot_id: str, *, recent: bool = False) -> BotRecord:
        """The bot if this user owns it; 404 `BOT_NOT_FOUND` if absent or someone else's.

        Another user's bot answers exactly as a missing one, so ids cannot be probed for
        (tests/gateway/test_isolation_matrix.py; the old server's 403 `NOT_BOT_OWNER` told
        the caller the bot existed, and the frontend handles both alike, contract §2.5).

        `recent`: a row read less than `recent_ttl` seconds ago will do (the proxy's hot path).
        """
        if recent:
            found = await self._recent.get(bot_id, lambda: self.find(bot_id))
        else:
            found = await self.find(bot_id)
        if found is None or found.desired_state == "deleting" or found.user_id != user_id:
            raise NotFound("Instance not found", "BOT_NOT_FOUND")
        return found

    async def list_for_user(self, user_id: str) -> list[BotRecord]:
        """The user's bots, oldest first, without those being deleted."""
        async with self.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(bots)
                    .where(bots.c.user_id == user_id, bots.c.desired_state != "deleting")
                    .order_by(bots.c.created_at, bots.c.id)
                )
            ).all()
        return [_record(r) for r in rows]

    async def list_all(self, pool_id: str | None = None) -> list[BotRecord]:
        """Every bot (of one pool), for the reconciler and the snapshotter."""
        query = select(bots).order_by(bots.c.created_at, bots.c.id)
        if pool_id is not None:
            query = query.where(bots.c.pool_id == pool_id)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(r) for r in rows]

    async def user_ids_with_bots(self, desired: Sequence[str] = ("running",)) -> list[str]:
        """Users with at least one bot in one of the `desired` states."""
        async with self.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(bots.c.user_id).where(bots.c.desired_state.in_(desired)).distinct()
                )
            ).all()
        return sorted(r.user_id for r in rows)

    async def update(self, bot_id: str, **values: Any) -> BotRecord | None:
        """Change columns of one bot (`pairs` as a list); the bot as it is now (None if gone)."""
        if "pairs" in values:
            values["pairs"] = json.dumps(values["pairs"])
        query = (
            update(bots)
            .where(bots.c.id == bot_id)
            .values(**values, updated_at=self.clock())
            .returning(*(bots.c[name] for name in _FIELDS))
        )
        async with self.db.engine.begin() as conn:
            row = (await conn.execute(query)).first()
        self._recent.invalidate(bot_id)
        return None if row is None else _record(row)

    async def record_seen(
        self, bot_id: str, pool_bot: dict[str, Any], **values: Any
    ) -> BotRecord | None:
        """Store what a pool reported about the bot (state, port, API URL and user, restarts)
        and any other `values`; the bot as it is now. The API password is derived, never stored.

        A report without `restarts` (an older pool's) keeps the count the row has.
        """
        api = pool_bot.get("api") or {}
        if "restarts" in pool_bot:
            values.setdefault("restarts", int(pool_bot.get("restarts") or 0))
        return await self.update(
            bot_id,
            observed_state=str(pool_bot.get("state", "unknown")),
            status_message=str(pool_bot.get("fatal_reason") or pool_bot.get("last_exit") or ""),
            api_url=api.get("url"),
            api_username=api.get("username"),
            api_port=pool_bot.get("api_port"),
            last_seen=self.clock(),
            **values,
        )

    async def delete(self, bot_id: str) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(delete(bots).where(bots.c.id == bot_id))
        self._recent.invalidate(bot_id)
