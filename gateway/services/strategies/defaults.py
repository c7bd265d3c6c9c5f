"""The `strategy_defaults` table: which store version new bots of a strategy get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from gateway.db.database import Database
from gateway.services.common import Clock, utcnow
from migrations.schema import strategy_defaults


@dataclass(frozen=True)
class DefaultVersion:
    strategy: str
    version: int
    commit: str
    updated_by: str
    updated_at: datetime


class StrategyDefaults:
    """Reads and sets the pinned default versions (a strategy without a row: its latest)."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    async def get(self, strategy: str) -> DefaultVersion | None:
        query = select(strategy_defaults).where(strategy_defaults.c.strategy == strategy)
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else DefaultVersion(**row._mapping)

    async def set(self, strategy: str, version: int, commit: str, by: str) -> None:
        values = {"version": version, "commit": commit, "updated_by": by}
        now = self.clock()
        table = strategy_defaults
        async with self.db.engine.begin() as conn:
            changed = await conn.execute(
                update(table).where(table.c.strategy == strategy).values(**values, updated_at=now)
            )
            if changed.rowcount == 0:
                await conn.execute(
                    insert(table).values(strategy=strategy, **values, updated_at=now)
                )
