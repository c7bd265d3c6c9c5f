"""Rebuild a bot's FreqTrade SQLite from its Turso backup (after a lost disk, a move...).

The schema is recreated from the bot's own `sqlite_master` statements, so FreqTrade finds the
columns its migrations expect and continues with the same trades. The file is written next to
the target under a temporary name and renamed over it only when complete.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.backup import remote
from runtime.backup.reader import decode_value, quote

logger = logging.getLogger(__name__)


class RestoreError(Exception):
    """The restore cannot run (no backup, the target exists...); the message says why."""


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    tables: dict[str, int]  # table -> rows restored


async def fetch_backup(
    client: Any, bot_id: str
) -> tuple[list[tuple[str, str, str, str]], dict[str, list[dict[str, Any]]]]:
    """The bot's schema and rows from the backup database."""
    schema = await remote.fetch_schema(client, bot_id)
    if not schema:
        raise RestoreError(f"the backup database holds no backup of bot {bot_id!r}")
    rows = {}
    for kind, name, _, _ in schema:
        if kind == "table":
            rows[name] = await remote.fetch_rows(client, bot_id, name)
    return schema, rows


def write_database(
    target: Path,
    schema: list[tuple[str, str, str, str]],
    rows: dict[str, list[dict[str, Any]]],
    force: bool = False,
) -> RestoreResult:
    """Write the SQLite file atomically; refuse to replace an existing one unless `force`."""
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.restore-{os.getpid()}")
    temp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("BEGIN")
            for kind, _, _, sql in schema:
                if kind == "table":
                    conn.execute(sql)
            for table, records in rows.items():
                counts[table] = _insert(conn, table, records)
            for kind, _, _, sql in schema:
                if kind != "table":
                    conn.execute(sql)
            conn.execute("COMMIT")
        finally:
            conn.close()
        # A journal of the replaced file must not be replayed onto the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        temp.replace(target)
    finally:
        temp.unlink(missing_ok=True)
    return RestoreResult(target, counts)


def _insert(conn: sqlite3.Connection, table: str, records: list[dict[str, Any]]) -> int:
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({quote(table)})")]
    if not records:
        return 0
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608 - quoted names
    conn.executemany(sql, ([decode_value(r.get(c)) for c in columns] for r in records))
    return len(records)


def check_target(target: Path, force: bool) -> None:
    """Refuse early (before any network call) to replace an existing database."""
    if target.exists() and not force:
        raise RestoreError(f"{target} exists: stop the bot and pass --force to replace it")


async def restore_bot(
    url: str, token: str, bot_id: str, target: Path, force: bool
) -> RestoreResult:
    """Fetch the backup of `bot_id` and write it to `target` (in a thread)."""
    client = remote.connect(url, token)
    try:
        schema, rows = await fetch_backup(client, bot_id)
    finally:
        await client.close()
    result = await asyncio.to_thread(write_database, target, schema, rows, force)
    logger.info("restored bot %s into %s: %s", bot_id, target, result.tables)
    return result
