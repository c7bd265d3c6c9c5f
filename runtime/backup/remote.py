"""The backup database (Turso / libSQL): its tables and the statements of one bot's pass.

One database holds every bot, namespaced by `bot_id` (see docs/turso.md for why):
- `bot_tables`: each bot's `sqlite_master` entries, to rebuild the exact schema on restore;
- `bot_rows`: one row per (bot, table, rowid) with the full row as JSON;
- `bot_backups`: per bot, the pool it runs in and when its last pass landed.
"""

from __future__ import annotations

import json
from typing import Any

import libsql_client

from runtime.backup.reader import Changes

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bot_tables ("
    " bot_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, tbl_name TEXT NOT NULL,"
    " sql TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (bot_id, name))",
    "CREATE TABLE IF NOT EXISTS bot_rows ("
    " bot_id TEXT NOT NULL, tbl TEXT NOT NULL, row_key INTEGER NOT NULL, data TEXT NOT NULL,"
    " updated_at REAL NOT NULL, PRIMARY KEY (bot_id, tbl, row_key))",
    "CREATE TABLE IF NOT EXISTS bot_backups ("
    " bot_id TEXT PRIMARY KEY, pool_id TEXT NOT NULL, last_success REAL NOT NULL,"
    " rows INTEGER NOT NULL)",
)

UPSERT_ROW = (
    "INSERT INTO bot_rows (bot_id, tbl, row_key, data, updated_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (bot_id, tbl, row_key) DO UPDATE SET data = excluded.data,"
    " updated_at = excluded.updated_at"
)
PAGE_ROWS = 2000  # rows per read when restoring (keeps each answer small)


def connect(url: str, token: str) -> Any:
    """A libsql client (`libsql://` means websockets over TLS, as Turso serves it)."""
    return libsql_client.create_client(url, auth_token=token or None)


async def ensure_schema(client: Any) -> None:
    """Create the backup tables if they are missing (idempotent)."""
    await client.batch(list(SCHEMA))


async def remote_ids(client: Any, bot_id: str) -> dict[str, set[int]]:
    """table -> rowids the backup holds for this bot."""
    result = await client.execute("SELECT tbl, row_key FROM bot_rows WHERE bot_id = ?", [bot_id])
    out: dict[str, set[int]] = {}
    for tbl, key in result.rows:
        out.setdefault(str(tbl), set()).add(int(key))
    tables = await client.execute(
        "SELECT name FROM bot_tables WHERE bot_id = ? AND type = 'table'", [bot_id]
    )
    for (name,) in tables.rows:
        out.setdefault(str(name), set())
    return out


def pass_statements(bot_id: str, pool_id: str, changes: Changes, now: float) -> list[Any]:
    """The statements of one pass, sent as one batch (a single transaction)."""
    stmts: list[Any] = []
    if changes.schema is not None:
        stmts.append(libsql_client.Statement("DELETE FROM bot_tables WHERE bot_id = ?", [bot_id]))
        for position, obj in enumerate(changes.schema):
            stmts.append(
                libsql_client.Statement(
                    "INSERT INTO bot_tables (bot_id, name, type, tbl_name, sql, position) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [bot_id, obj.name, obj.type, obj.tbl_name, obj.sql, position],
                )
            )
    for table in changes.dropped_tables:
        stmts.append(
            libsql_client.Statement(
                "DELETE FROM bot_rows WHERE bot_id = ? AND tbl = ?", [bot_id, table]
            )
        )
    for table, rowid in changes.deletes:
        stmts.append(
            libsql_client.Statement(
                "DELETE FROM bot_rows WHERE bot_id = ? AND tbl = ? AND row_key = ?",
                [bot_id, table, rowid],
            )
        )
    for row in changes.upserts:
        stmts.append(
            libsql_client.Statement(UPSERT_ROW, [bot_id, row.table, row.rowid, row.data, now])
        )
    stmts.append(
        libsql_client.Statement(
            "INSERT INTO bot_backups (bot_id, pool_id, last_success, rows) "
            "VALUES (?, ?, ?, (SELECT count(*) FROM bot_rows WHERE bot_id = ?)) "
            "ON CONFLICT (bot_id) DO UPDATE SET pool_id = excluded.pool_id,"
            " last_success = excluded.last_success, rows = excluded.rows",
            [bot_id, pool_id, now, bot_id],
        )
    )
    return stmts


async def fetch_schema(client: Any, bot_id: str) -> list[tuple[str, str, str, str]]:
    """(type, name, tbl_name, sql) of a bot's backed-up schema, in creation order."""
    result = await client.execute(
        "SELECT type, name, tbl_name, sql FROM bot_tables WHERE bot_id = ? ORDER BY position",
        [bot_id],
    )
    return [(str(t), str(n), str(tn), str(s)) for t, n, tn, s in result.rows]


async def fetch_rows(client: Any, bot_id: str, table: str) -> list[dict[str, Any]]:
    """Every backed-up row of one table of a bot, as column -> JSON value, by rowid."""
    out: list[dict[str, Any]] = []
    after = -(2**63)
    while True:
        result = await client.execute(
            "SELECT row_key, data FROM bot_rows WHERE bot_id = ? AND tbl = ? AND row_key > ? "
            "ORDER BY row_key LIMIT ?",
            [bot_id, table, after, PAGE_ROWS],
        )
        for key, data in result.rows:
            out.append(json.loads(data))
            after = int(key)
        if len(result.rows) < PAGE_ROWS:
            return out
