"""The gateway's database handle: one SQLAlchemy async engine for SQLite or PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gateway.errors import Unavailable
from migrations import runner

logger = logging.getLogger(__name__)


class Database:
    """Owns the engine; services borrow connections with `db.engine.begin()`/`connect()`."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs = {"connect_args": {"timeout": 30}}
        self.url = parsed
        self.engine: AsyncEngine = create_async_engine(parsed, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)

    def describe(self) -> str:
        """The URL with any password hidden, for logs."""
        return self.url.render_as_string(hide_password=True)

    async def ping(self) -> None:
        """Raise Unavailable unless a trivial query succeeds."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            raise Unavailable("Database is not reachable", "DATABASE_UNAVAILABLE") from exc

    async def schema_is_current(self) -> bool:
        """True when every migration file has been applied."""
        return not await runner.pending(self.engine)

    async def upgrade(self) -> list[int]:
        """Apply pending migrations; returns the versions applied."""
        return await runner.upgrade(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the writer.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    # The sqlite3 driver would commit DDL outside any transaction (so a failed migration
    # would leave half its tables behind); take transaction control back (SQLAlchemy's recipe).
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")
