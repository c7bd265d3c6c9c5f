"""Read what changed in a bot's FreqTrade SQLite since the last successful backup pass.

The bot's file is opened read-only (`mode=ro`) and read inside one short read transaction, so
the bot never sees "database is locked" for longer than a few SELECTs. Rows are keyed by their
SQLite rowid (FreqTrade's `id`). A row is a candidate when it is new (above the high-water mark
or absent from the previous id set) or may still change (a "hot" row: an open trade, an open
order, an active pair lock, or any row of a small unknown table) or changed less than
`SETTLE_S` ago; candidates whose content hash did not change are skipped. The settling window
matters: FreqTrade closes an order in one commit and fills in its fees in the next, so a pass
that lands between the two sees a row that is no longer open but not final either. Deletions
are the difference of the previous and the current id set. A table found empty is taken as a
deletion of its last rows only when this process read the very same file (device and inode)
before; an empty table in a file it has not seen is a new database and never wipes the backup.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# table -> (column it needs, SQL condition of rows that may still change). Other tables are
# small (KeyValueStore, trade_custom_data): every row is checked on every pass.
HOT_ROWS: Mapping[str, tuple[str, str]] = {
    "trades": ("is_open", "is_open = 1"),
    "orders": ("ft_is_open", "ft_is_open = 1"),
    "pairlocks": ("active", "active = 1"),
    "wallet_history": ("id", "0"),  # append-only
}
ALL_ROWS = "1"
READ_TIMEOUT_S = 5.0  # how long a read waits for the bot's write lock
SETTLE_S = 300.0  # a row that changed is re-read for this long after its last change


class NoDatabase(Exception):
    """The bot has no SQLite file (or FreqTrade has not created its tables yet)."""


@dataclass(frozen=True)
class SchemaObject:
    """One `sqlite_master` entry (table, index, trigger, view) with its CREATE statement."""

    type: str
    name: str
    tbl_name: str
    sql: str


@dataclass
class TableMarks:
    """What the backup holds of one table after the last successful pass."""

    high_water: int = 0
    hashes: dict[int, int] = field(default_factory=dict)  # rowid -> hash, rows to re-read
    ids: set[int] | None = None  # every rowid; None until known (first pass)
    changed_at: dict[int, float] = field(default_factory=dict)  # rowid -> last change, settling


@dataclass
class BotMarks:
    """What the backup holds of one bot (kept in memory, replaced after each success)."""

    schema_hash: int | None = None
    tables: dict[str, TableMarks] = field(default_factory=dict)
    file_id: tuple[int, int] | None = None  # (st_dev, st_ino) of the file last read

    @property
    def first_pass(self) -> bool:
        return self.schema_hash is None


@dataclass(frozen=True)
class RowChange:
    table: str
    rowid: int
    data: str  # JSON object: column -> value


@dataclass
class Changes:
    """One pass: the schema when it changed, rows to upsert and to delete, the next marks."""

    schema: list[SchemaObject] | None
    upserts: list[RowChange]
    deletes: list[tuple[str, int]]
    dropped_tables: list[str]
    marks: BotMarks

    @property
    def size(self) -> int:
        return len(self.upserts) + len(self.deletes) + len(self.dropped_tables)


def encode_value(value: Any) -> Any:
    """SQLite value -> JSON value (BLOBs become `{"$base64": ...}`)."""
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode("ascii")}
    return value


def decode_value(value: Any) -> Any:
    """Inverse of `encode_value`."""
    if isinstance(value, dict) and set(value) == {"$base64"}:
        return base64.b64decode(value["$base64"])
    return value


def quote(name: str) -> str:
    """An SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that never creates the file and waits briefly for locks."""
    if not path.is_file():
        raise NoDatabase(f"{path} does not exist")
    uri = path.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=READ_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def read_schema(conn: sqlite3.Connection) -> list[SchemaObject]:
    """Tables first, then indexes, triggers and views (the order a restore creates them in)."""
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name"
    ).fetchall()
    return [SchemaObject(r["type"], r["name"], r["tbl_name"], r["sql"]) for r in rows]


def _hot_condition(conn: sqlite3.Connection, table: str) -> str:
    rule = HOT_ROWS.get(table)
    if rule is None:
        return ALL_ROWS
    columns = {r["name"] for r in conn.execute(f"PRAGMA table_info({quote(table)})")}
    return rule[1] if rule[0] in columns else ALL_ROWS


def _read_table(
    conn: sqlite3.Connection,
    table: str,
    old: TableMarks,
    remote_ids: set[int] | None,
    now: float,
    same_file: bool,
) -> tuple[list[RowChange], list[tuple[str, int]], TableMarks]:
    name = quote(table)
    current = {int(r[0]) for r in conn.execute(f"SELECT rowid FROM {name}")}  # noqa: S608
    previous = old.ids if old.ids is not None else (remote_ids or set())
    recheck = set(old.hashes) | (current - previous)
    hot = _hot_condition(conn, table)
    query = (
        f'SELECT rowid AS "__rowid", ({hot}) AS "__hot", * FROM {name} '  # noqa: S608
        "WHERE rowid > ? OR (" + hot + ") OR rowid IN (SELECT value FROM json_each(?))"
    )
    upserts: list[RowChange] = []
    hashes: dict[int, int] = {}
    changed_at: dict[int, float] = {}
    for row in conn.execute(query, (old.high_water, json.dumps(sorted(recheck)))):
        rowid = int(row["__rowid"])
        values = {k: encode_value(row[k]) for k in row.keys()[2:]}
        data = json.dumps(values, sort_keys=True, separators=(",", ":"))
        digest = hash(data)
        if old.hashes.get(rowid) != digest:
            upserts.append(RowChange(table, rowid, data))
            changed_at[rowid] = now
        elif now - old.changed_at.get(rowid, -SETTLE_S) < SETTLE_S:
            changed_at[rowid] = old.changed_at[rowid]
        if row["__hot"] or rowid in changed_at:
            hashes[rowid] = digest
    deleted = previous - current
    if not current and not same_file:
        # An empty table in a file we have not read before is a new database (a bot started
        # on a lost disk), not a bot that deleted its last row: never let it wipe the backup.
        deleted = set()
    deletes = [(table, rowid) for rowid in sorted(deleted)]
    high_water = max(current, default=old.high_water)
    return upserts, deletes, TableMarks(high_water, hashes, current, changed_at)


def read_changes(
    path: Path,
    marks: BotMarks,
    remote_ids: Mapping[str, set[int]] | None = None,
    now: float | None = None,
) -> Changes:
    """Everything to send for one bot. Blocking: call it in a thread.

    `remote_ids` (table -> rowids the backup holds) replaces the unknown previous id sets on
    the first pass after a supervisor start, so deletions made meanwhile still propagate.
    `now` (monotonic seconds) dates the changes for the settling window.
    """
    now = time.monotonic() if now is None else now
    conn = open_read_only(path)
    stat = path.stat()
    file_id = (stat.st_dev, stat.st_ino)
    same_file = marks.file_id == file_id
    try:
        conn.execute("BEGIN")  # one consistent snapshot for the whole pass
        schema = read_schema(conn)
        tables = [o.name for o in schema if o.type == "table"]
        if not tables:
            raise NoDatabase(f"{path} has no tables yet")
        schema_hash = hash(tuple((o.type, o.name, o.sql) for o in schema))
        upserts: list[RowChange] = []
        deletes: list[tuple[str, int]] = []
        new = BotMarks(schema_hash=schema_hash, file_id=file_id)
        changed = schema_hash != marks.schema_hash
        for table in tables:
            old = marks.tables.get(table, TableMarks())
            if changed:  # e.g. a FreqTrade migration: every row gets its new columns
                old = TableMarks(ids=old.ids)
            ids = None if remote_ids is None else remote_ids.get(table)
            rows, gone, new.tables[table] = _read_table(conn, table, old, ids, now, same_file)
            upserts += rows
            deletes += gone
        conn.execute("COMMIT")
    finally:
        conn.close()
    known = set(marks.tables) | set(remote_ids or {})
    dropped = sorted(known - set(tables))
    return Changes(schema if changed else None, upserts, deletes, dropped, new)
