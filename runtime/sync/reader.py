"""Reads what changed in one bot's FreqTrade database, without ever writing or blocking it.

The file is opened read-only (`mode=ro`, `PRAGMA query_only`) and read in one short
transaction (one consistent snapshot); the connection is closed before the caller awaits
anything. FreqTrade switches its database to WAL (persistence/migrations.py), where a reader
never blocks the bot's writes; a database still in rollback-journal mode (an adopted old bot
before its first start) would make the bot's commit wait while a read holds its shared lock,
so a pass is only a handful of indexed SELECTs either way. The mode seen is reported.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

Row = dict[str, Any]

# Closed rows are re-read this long after the newest change already synced: a trade may be
# committed with a close_date slightly older than an order the previous pass saw.
RECHECK_MARGIN = timedelta(minutes=5)
_STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores FreqTrade's naive UTC datetimes

TRADE_COLUMNS = (
    "id", "pair", "is_open", "is_short", "amount", "stake_amount", "open_rate", "close_rate",
    "open_date", "close_date", "realized_profit", "close_profit", "close_profit_abs",
    "exit_reason", "strategy", "timeframe", "stop_loss", "leverage", "stake_currency",
)  # fmt: skip
ORDER_COLUMNS = (
    "id", "ft_trade_id", "order_id", "ft_pair", "ft_order_side", "order_type", "status",
    "ft_is_open", "price", "average", "amount", "filled", "remaining", "cost", "order_date",
    "order_filled_date", "order_update_date",
)  # fmt: skip
LOCK_COLUMNS = ("id", "pair", "side", "reason", "lock_time", "lock_end_time", "active")
_DATES = frozenset(
    {"open_date", "close_date", "order_date", "order_filled_date", "order_update_date",
     "lock_time", "lock_end_time"}
)  # fmt: skip
_BOOLS = frozenset({"is_open", "is_short", "ft_is_open", "active"})


class ReadError(Exception):
    """The bot's database cannot be read (missing, not SQLite, no FreqTrade tables...)."""


@dataclass(frozen=True)
class Cursor:
    """What the last committed pass of one bot knew: where the next read starts."""

    last_trade_id: int = 0
    last_order_id: int = 0
    last_lock_id: int = 0
    last_change_at: datetime | None = None
    open_trade_ids: frozenset[int] = frozenset()
    open_order_ids: frozenset[int] = frozenset()
    active_lock_ids: frozenset[int] = frozenset()
    # Rows present in the target and not marked deleted: a missing id means a deletion.
    trade_ids: frozenset[int] = frozenset()
    order_ids: frozenset[int] = frozenset()
    lock_ids: frozenset[int] = frozenset()
    full: bool = True  # no earlier pass: read everything


@dataclass
class Batch:
    """One read of one bot: changed rows, every id present, the newest FreqTrade time."""

    trades: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    locks: list[Row] = field(default_factory=list)
    trade_ids: frozenset[int] = frozenset()
    order_ids: frozenset[int] = frozenset()
    lock_ids: frozenset[int] = frozenset()
    journal_mode: str = ""
    newest_change: datetime | None = None

    @property
    def rows(self) -> int:
        return len(self.trades) + len(self.orders) + len(self.locks)


def parse_time(value: Any) -> datetime | None:
    """FreqTrade's stored naive UTC text (or a datetime) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _convert(names: Sequence[str], raw: Sequence[Any]) -> Row:
    row: Row = {}
    for name, value in zip(names, raw, strict=True):
        if name in _DATES:
            row[name] = parse_time(value)
        elif name in _BOOLS:
            row[name] = bool(value)
        else:
            row[name] = value
    return row


def _select(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    flag: str,
    last_id: int,
    keep: Iterable[int],
    changed: Sequence[str],
    since: str | None,
) -> list[Row]:
    """Rows past `last_id`, open (`flag`) rows, rows in `keep`, rows `changed` since `since`.

    Open rows change at any time without a timestamp (stop loss, fills), so they are always
    read; `keep` holds the rows open at the last pass, to see them close.
    """
    select = f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 - fixed names
    if since is None:
        cursor = conn.execute(select)
    else:
        kept = sorted(keep)
        clauses = ["id > ?", f"{flag} = 1"] + [f"{name} >= ?" for name in changed]
        params: list[Any] = [last_id] + [since] * len(changed)
        if kept:
            clauses.append(f"id IN ({', '.join('?' * len(kept))})")
            params.extend(kept)
        cursor = conn.execute(f"{select} WHERE {' OR '.join(clauses)}", params)
    return [_convert(columns, raw) for raw in cursor.fetchall()]


def _ids(conn: sqlite3.Connection, table: str) -> frozenset[int]:
    return frozenset(r[0] for r in conn.execute(f"SELECT id FROM {table}"))  # noqa: S608


def read_bot(path: Path, cursor: Cursor, timeout: float = 2.0) -> Batch:
    """Read the rows of `path` that changed since `cursor` (blocking: run it in a thread)."""
    if not path.is_file():
        raise ReadError(f"database file not found: {path}")
    since = None
    if not cursor.full:
        start = cursor.last_change_at or datetime(1970, 1, 1, tzinfo=UTC)
        since = (start - RECHECK_MARGIN).astimezone(UTC).strftime(_STAMP)
    try:
        conn = sqlite3.connect(
            path.resolve().as_uri() + "?mode=ro", uri=True, timeout=timeout, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise ReadError(f"cannot open {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA query_only = 1")
        batch = Batch(journal_mode=str(conn.execute("PRAGMA journal_mode").fetchone()[0]))
        conn.execute("BEGIN")  # one snapshot for all tables; released by the rollback below
        try:
            batch.trades = _select(
                conn, "trades", TRADE_COLUMNS, "is_open", cursor.last_trade_id,
                cursor.open_trade_ids, ("close_date",), since,
            )  # fmt: skip
            batch.orders = _select(
                conn, "orders", ORDER_COLUMNS, "ft_is_open", cursor.last_order_id,
                cursor.open_order_ids, ("order_date", "order_filled_date", "order_update_date"),
                since,
            )  # fmt: skip
            batch.locks = _select(
                conn, "pairlocks", LOCK_COLUMNS, "active", cursor.last_lock_id,
                cursor.active_lock_ids, ("lock_time",), since,
            )  # fmt: skip
            batch.trade_ids = _ids(conn, "trades")
            batch.order_ids = _ids(conn, "orders")
            batch.lock_ids = _ids(conn, "pairlocks")
        finally:
            conn.rollback()
    except sqlite3.Error as exc:
        raise ReadError(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()
    batch.newest_change = _newest(batch, cursor.last_change_at)
    return batch


def closed_trades(batch: Batch, cursor: Cursor) -> list[Row]:
    """The trades `batch` shows closed for the first time since the pass `cursor` records.

    A trade closes once: it was open at the last committed pass (`open_trade_ids`, rebuilt
    from the target after a pool restart) or is new to the target and already closed. The
    closed rows a pass re-reads within the recheck margin are neither. A bot's first, full
    read carries its history (an adopted bot's years of trades): none of it is reported.
    """
    if cursor.full:
        return []
    return [
        row
        for row in batch.trades
        if not row["is_open"]
        and (row["id"] in cursor.open_trade_ids or row["id"] not in cursor.trade_ids)
    ]


def _newest(batch: Batch, previous: datetime | None) -> datetime | None:
    stamps = [previous] if previous is not None else []
    for rows, names in (
        (batch.trades, ("open_date", "close_date")),
        (batch.orders, ("order_date", "order_filled_date", "order_update_date")),
        (batch.locks, ("lock_time",)),
    ):
        stamps.extend(row[n] for row in rows for n in names if row[n] is not None)
    return max(stamps) if stamps else None
