"""Reading a real FreqTrade database: everything first, then only what changed; never writing."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runtime.sync.reader import Cursor, ReadError, read_bot
from tests.runtime.sync.ftdb import close_trade


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_read_takes_everything_in_freqtrade_types(bot_db: Path) -> None:
    before = _digest(bot_db)
    batch = read_bot(bot_db, Cursor())
    assert _digest(bot_db) == before  # read-only: the file is byte-for-byte unchanged
    assert batch.journal_mode == "wal"
    assert [t["id"] for t in batch.trades] == [1, 2]
    first = batch.trades[0]
    assert first["pair"] == "BTC/USDT"
    assert first["is_open"] is True
    assert first["open_date"].tzinfo is UTC
    assert first["strategy"] == "SandboxScalp1m"
    assert [(o["id"], o["ft_trade_id"], o["order_id"]) for o in batch.orders] == [
        (1, 1, "buy-0"),
        (2, 2, "buy-1"),
    ]
    assert [(lock["pair"], lock["active"]) for lock in batch.locks] == [("ETH/USDT", True)]
    assert (batch.trade_ids, batch.order_ids, batch.lock_ids) == (
        frozenset({1, 2}),
        frozenset({1, 2}),
        frozenset({1}),
    )
    # The newest FreqTrade time in the file: the lock, taken after the orders.
    assert batch.newest_change == batch.locks[0]["lock_time"]
    assert batch.newest_change > max(o["order_date"] for o in batch.orders)


def test_incremental_read_skips_settled_rows_and_sees_closes(bot_db: Path) -> None:
    first = read_bot(bot_db, Cursor())
    cursor = Cursor(
        last_trade_id=2,
        last_order_id=2,
        last_lock_id=1,
        last_change_at=datetime.now(UTC),
        open_trade_ids=frozenset({1, 2}),
        active_lock_ids=frozenset({1}),
        full=False,
    )
    quiet = read_bot(bot_db, cursor)
    # Open trades and the active lock are always re-read; the closed buy orders are not.
    assert [t["id"] for t in quiet.trades] == [1, 2]
    assert quiet.orders == []
    assert quiet.trade_ids == first.trade_ids

    when = datetime.now(UTC)
    close_trade(bot_db, 1, 0.1, when)
    changed = read_bot(bot_db, cursor)
    closed = next(t for t in changed.trades if t["id"] == 1)
    assert closed["is_open"] is False
    assert closed["close_profit_abs"] == pytest.approx(0.1)
    assert closed["close_date"] == when
    assert [o["id"] for o in changed.orders] == [3]
    assert changed.newest_change == when


def test_missing_and_broken_files_raise_read_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="not found"):
        read_bot(tmp_path / "nope.sqlite", Cursor())
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ReadError, match="cannot"):
        read_bot(broken, Cursor())
    empty_schema = tmp_path / "empty.sqlite"
    sqlite3.connect(empty_schema).close()
    with pytest.raises(ReadError, match="no such table"):
        read_bot(empty_schema, Cursor())
