"""Reading what changed in a real FreqTrade database: all at first, then only the changes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runtime.backup.reader import (
    SETTLE_S,
    BotMarks,
    Changes,
    NoDatabase,
    decode_value,
    encode_value,
    read_changes,
)
from tests.runtime.sync.ftdb import close_trade, delete_trade


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _keys(changes: Changes, table: str) -> list[int]:
    return [r.rowid for r in changes.upserts if r.table == table]


def _row(changes: Changes, table: str, rowid: int) -> dict[str, object]:
    data = next(r.data for r in changes.upserts if (r.table, r.rowid) == (table, rowid))
    return dict(json.loads(data))


def test_first_pass_sends_schema_and_every_row_without_writing(bot_db: Path) -> None:
    before = _digest(bot_db)
    changes = read_changes(bot_db, BotMarks())
    assert _digest(bot_db) == before  # read-only: the file is byte-for-byte unchanged
    assert changes.schema is not None
    tables = [o.name for o in changes.schema if o.type == "table"]
    assert {"trades", "orders", "pairlocks", "KeyValueStore"} <= set(tables)
    assert changes.schema[0].type == "table"  # tables come before their indexes
    assert any(o.type == "index" for o in changes.schema)
    trades = {"CREATE TABLE trades" in o.sql for o in changes.schema if o.name == "trades"}
    assert trades == {True}
    assert _keys(changes, "trades") == [1, 2]
    assert _keys(changes, "orders") == [1, 2]
    assert _keys(changes, "pairlocks") == [1]
    first = _row(changes, "trades", 1)
    assert (first["id"], first["pair"], first["is_open"]) == (1, "BTC/USDT", 1)
    assert changes.deletes == [] and changes.dropped_tables == []


def test_next_passes_send_only_changes(bot_db: Path) -> None:
    first = read_changes(bot_db, BotMarks())
    quiet = read_changes(bot_db, first.marks)
    assert quiet.schema is None
    assert quiet.upserts == [] and quiet.deletes == []

    close_trade(bot_db, 1, 0.1, datetime.now(UTC))
    closed = read_changes(bot_db, quiet.marks)
    assert _keys(closed, "trades") == [1]  # trade 2 is open but unchanged
    assert _keys(closed, "orders") == [3]  # the new sell order only
    assert _row(closed, "trades", 1)["is_open"] == 0

    # A closed trade is no longer hot: an unrelated pass does not read it again.
    assert read_changes(bot_db, closed.marks).upserts == []

    delete_trade(bot_db, 2)
    deleted = read_changes(bot_db, closed.marks)
    assert sorted(deleted.deletes) == [("orders", 2), ("trades", 2)]
    assert deleted.upserts == []


def test_a_closed_row_still_settling_is_read_again(bot_db: Path) -> None:
    """FreqTrade closes an order, then fills in its fee in a later commit."""
    marks = read_changes(bot_db, BotMarks(), now=0.0).marks
    marks = read_changes(bot_db, marks, now=SETTLE_S + 1).marks  # everything has settled
    close_trade(bot_db, 1, 0.1, datetime.now(UTC))
    closed = read_changes(bot_db, marks, now=SETTLE_S + 2)
    assert _row(closed, "orders", 3)["ft_fee_base"] is None
    with sqlite3.connect(bot_db) as conn:  # the follow-up commit of a closed, cold row
        conn.execute("UPDATE orders SET ft_fee_base = 0.001 WHERE id = 3")
    conn.close()
    fee = read_changes(bot_db, closed.marks, now=SETTLE_S + 3)
    assert _keys(fee, "orders") == [3]
    assert _row(fee, "orders", 3)["ft_fee_base"] == 0.001

    # Once settled, a cold row is no longer read (nor sent) on every pass.
    later = read_changes(bot_db, fee.marks, now=2 * SETTLE_S + 10)
    assert later.upserts == []
    assert 3 not in later.marks.tables["orders"].hashes


def test_reused_rowid_below_the_high_water_mark_is_sent(bot_db: Path) -> None:
    marks = read_changes(bot_db, BotMarks()).marks
    delete_trade(bot_db, 2)
    marks = read_changes(bot_db, marks).marks
    with sqlite3.connect(bot_db) as conn:  # SQLite hands out id 2 again
        conn.execute(
            "INSERT INTO orders (ft_trade_id, ft_order_side, ft_pair, ft_is_open, ft_amount,"
            " ft_price, order_id) VALUES (1, 'sell', 'BTC/USDT', 0, 0.001, 10000, 'late')"
        )
    conn.close()
    changes = read_changes(bot_db, marks)
    assert _keys(changes, "orders") == [2]


def test_first_pass_after_a_restart_deletes_what_the_bot_deleted(bot_db: Path) -> None:
    remote = {"trades": {1, 2, 7}, "orders": {1, 2}, "old_table": {1}}
    changes = read_changes(bot_db, BotMarks(), remote)
    assert changes.deletes == [("trades", 7)]
    assert changes.dropped_tables == ["old_table"]


def test_an_empty_fresh_table_never_wipes_the_backup(bot_db: Path) -> None:
    with sqlite3.connect(bot_db) as conn:
        conn.execute("DELETE FROM orders")
        conn.execute("DELETE FROM trades")
    conn.close()
    changes = read_changes(bot_db, BotMarks(), {"trades": {1, 2}, "orders": {1, 2}})
    assert changes.deletes == []


def test_deleting_the_last_rows_of_a_file_already_read_is_mirrored(bot_db: Path) -> None:
    marks = read_changes(bot_db, BotMarks()).marks
    delete_trade(bot_db, 1)
    delete_trade(bot_db, 2)
    changes = read_changes(bot_db, marks)
    assert sorted(changes.deletes) == [
        ("orders", 1),
        ("orders", 2),
        ("trades", 1),
        ("trades", 2),
    ]


def test_an_empty_replacement_file_never_wipes_the_backup(bot_db: Path, tmp_path: Path) -> None:
    marks = read_changes(bot_db, BotMarks()).marks
    emptied = tmp_path / "emptied.sqlite"
    with sqlite3.connect(emptied) as conn:  # same schema, no rows: a bot on a lost disk
        bot = sqlite3.connect(bot_db)
        bot.backup(conn)
        bot.close()
        conn.execute("DELETE FROM orders")
        conn.execute("DELETE FROM trades")
    conn.close()
    emptied.replace(bot_db)  # a new inode at the bot's path
    changes = read_changes(bot_db, marks)
    assert changes.deletes == []


def test_schema_change_resends_every_row(bot_db: Path) -> None:
    marks = read_changes(bot_db, BotMarks()).marks
    with sqlite3.connect(bot_db) as conn:  # what a FreqTrade migration does
        conn.execute("ALTER TABLE trades ADD COLUMN new_field TEXT DEFAULT 'x'")
    conn.close()
    changes = read_changes(bot_db, marks)
    assert changes.schema is not None
    assert _keys(changes, "trades") == [1, 2]
    assert _keys(changes, "orders") == [1, 2]
    assert _row(changes, "trades", 2)["new_field"] == "x"


def test_missing_or_empty_database_is_nothing_to_back_up(tmp_path: Path) -> None:
    with pytest.raises(NoDatabase):
        read_changes(tmp_path / "missing.sqlite", BotMarks())
    assert not (tmp_path / "missing.sqlite").exists()  # never created by the reader
    sqlite3.connect(tmp_path / "empty.sqlite").close()
    with pytest.raises(NoDatabase):
        read_changes(tmp_path / "empty.sqlite", BotMarks())


def test_unreadable_database_raises(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        read_changes(broken, BotMarks())


def test_blobs_survive_json() -> None:
    assert decode_value(json.loads(json.dumps(encode_value(b"\x00\xff")))) == b"\x00\xff"
    assert decode_value(encode_value(1.5)) == 1.5
    assert decode_value({"other": 1}) == {"other": 1}
