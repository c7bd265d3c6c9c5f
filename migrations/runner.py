"""Applies the numbered SQL files in this folder, in order, recording each in `schema_migrations`.

Each file `NNNN_name.sql` is portable SQL run as-is on SQLite and PostgreSQL, in one
transaction together with its version row, so a failed migration leaves nothing behind.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL
)
"""
_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Serialises concurrent upgrades on PostgreSQL (any constant shared by all upgraders).
_PG_LOCK_KEY = 727_274_001


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """The file's statements: `--` comments dropped, split on `;` at line ends."""
        lines = [line for line in self.sql.splitlines() if not line.strip().startswith("--")]
        body = "\n".join(lines)
        return [part.strip() for part in re.split(r";\s*(?:\n|$)", body) if part.strip()]


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migrations in `directory`, sorted; versions must run 1..N without gaps."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.match(path.name)
        if not match:
            raise ValueError(f"migration file name {path.name!r} is not NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"migration versions must be 1..N without gaps, got {versions}")
    return found


async def applied_versions(conn: AsyncConnection) -> set[int]:
    """Versions recorded in the version table (empty if it does not exist yet)."""
    await conn.execute(text(VERSION_TABLE_DDL))
    rows = await conn.execute(text("SELECT version FROM schema_migrations"))
    return {int(row[0]) for row in rows}


async def pending(engine: AsyncEngine, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Migrations not yet applied to this database."""
    async with engine.begin() as conn:
        done = await applied_versions(conn)
    return [m for m in discover(directory) if m.version not in done]


async def upgrade(engine: AsyncEngine, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every pending migration; returns the versions applied now (empty if up to date)."""
    applied: list[int] = []
    for migration in discover(directory):
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
                )
            if migration.version in await applied_versions(conn):
                continue
            for statement in migration.statements():
                await conn.exec_driver_sql(statement)
            await conn.execute(
                text(
                    "INSERT INTO schema_migrations (version, name, applied_at)"
                    " VALUES (:version, :name, :applied_at)"
                ),
                {
                    "version": migration.version,
                    "name": migration.name,
                    "applied_at": datetime.now(UTC).replace(tzinfo=None),
                },
            )
        logger.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration.version)
    return applied
