"""Checks on a bot's trades after a fault: against what its API showed, and in its SQLite."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from tests.runtime.botapi import SeenTrade


def still_there(before: dict[int, SeenTrade], after: dict[int, SeenTrade]) -> list[str]:
    """What went wrong between two looks: lost, changed or reopened trades (empty = fine)."""
    problems = []
    for trade_id, old in before.items():
        new = after.get(trade_id)
        if new is None:
            problems.append(f"trade {trade_id} ({old.pair} {old.open_date}) is gone")
        elif (new.pair, new.open_date) != (old.pair, old.open_date):
            problems.append(f"trade {trade_id} changed from {old} to {new}")
        elif new.is_open and not old.is_open:
            problems.append(f"trade {trade_id} was closed and is open again")
    return problems


@dataclass(frozen=True)
class DatabaseCheck:
    """A bot's SQLite file read directly: integrity and its trades' identities."""

    integrity: str
    trade_ids: list[int]
    pair_open_dates: list[tuple[str, str]]

    def duplicated(self) -> list[object]:
        """Trade ids or (pair, open_date) that occur more than once."""
        counts: Counter[object] = Counter([*self.trade_ids, *self.pair_open_dates])
        return [key for key, count in counts.items() if count > 1]


def check_database(path: Path) -> DatabaseCheck:
    """`PRAGMA integrity_check` and the trades table of one bot's database (read-only)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        integrity = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
        rows = db.execute("SELECT id, pair, open_date FROM trades ORDER BY id").fetchall()
    return DatabaseCheck(
        integrity=integrity,
        trade_ids=[int(r[0]) for r in rows],
        pair_open_dates=[(str(r[1]), str(r[2])) for r in rows],
    )
