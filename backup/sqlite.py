"""SQLite files copied with SQLite's online backup API, safe while their owner writes."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

BUSY_TIMEOUT_S = 30.0


def online_copy(source: Path, target: Path) -> None:
    """Copy a live database into `target` as one consistent snapshot.

    All pages go in one step under a read lock (`pages=-1`): copied in slices, a busy writer
    would restart the copy at every commit.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst, pages=-1)
        # The copy stands alone: no -wal file to carry along.
        dst.execute("PRAGMA journal_mode=DELETE")


def trade_counts(database: Path) -> tuple[int, int]:
    """(all trades, open trades) in a FreqTrade trade database (0, 0 before its first trade)."""
    with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trades'"
        ).fetchone()
        if not exists:
            return 0, 0
        total, open_ = conn.execute(
            "SELECT count(*), coalesce(sum(is_open), 0) FROM trades"
        ).fetchone()
        return int(total), int(open_)
