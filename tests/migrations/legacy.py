"""Databases as the old numbered-SQL runner left them (its four files, kept in `fixtures/`)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from gateway.db.database import Database

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OLD_FILES = sorted(FIXTURES.glob("000*.sql"))


def _statements(sql: str) -> list[str]:
    # The old runner's splitter: `--` lines dropped, split on `;` at line ends.
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in re.split(r";\s*(?:\n|$)", "\n".join(lines)) if part.strip()]


async def build_old_database(url: str, versions: int = len(OLD_FILES)) -> None:
    """Apply the first `versions` old files and record them in `schema_migrations`, as the
    runner did."""
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY,"
                    " name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)"
                )
            )
            for number, path in enumerate(OLD_FILES[:versions], start=1):
                for statement in _statements(path.read_text(encoding="utf-8")):
                    await conn.exec_driver_sql(statement)
                await conn.execute(
                    text("INSERT INTO schema_migrations VALUES (:version, :name, :at)"),
                    {"version": number, "name": path.stem[5:], "at": datetime(2026, 1, 1)},
                )
    finally:
        await db.close()
