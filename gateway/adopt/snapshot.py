"""Copies an old bot's trade database without touching it, and proves the folder unchanged."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import BadInput

# SQLite's side files: a database that was not closed cleanly keeps its last writes there.
SIDE_FILES = ("-wal", "-journal")


@dataclass(frozen=True)
class TradeCounts:
    """How many trades a FreqTrade database holds, and how many are still open."""

    total: int
    open: int


def fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    digests: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digests[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def snapshot_database(source: Path, target: Path) -> TradeCounts:
    """A consistent single-file copy of `source` at `target`, made without opening `source`.

    The files are copied byte for byte into `target`'s folder first (opening the source with
    SQLite, even read-only, could create side files in the operator's folder); the backup API
    then folds a left-over write-ahead log into one file. Refuses when the database changed
    while it was copied (the old bot is still running) or is not a FreqTrade database.
    """
    work = target.parent / "raw"
    work.mkdir()
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    raw = work / source.name
    shutil.copyfile(source, raw)
    for suffix in SIDE_FILES:
        side = source.with_name(source.name + suffix)
        if side.exists():
            shutil.copyfile(side, work / side.name)
    if hashlib.sha256(source.read_bytes()).hexdigest() != before:
        raise BadInput(
            f"{source.name} changed while it was copied: stop the old bot first",
            "ADOPT_BOT_RUNNING",
        )
    try:
        _backup(raw, target)
        counts = _count_trades(target)
    except sqlite3.DatabaseError as exc:
        raise BadInput(
            f"{source.name} is not a usable SQLite trade database: {exc}", "ADOPT_BAD_DATABASE"
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return counts


def _backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _count_trades(path: Path) -> TradeCounts:
    conn = sqlite3.connect(path)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise sqlite3.DatabaseError("integrity check failed")
        total, still_open = conn.execute(
            "SELECT count(*), coalesce(sum(is_open), 0) FROM trades"
        ).fetchone()
    finally:
        conn.close()
    return TradeCounts(int(total), int(still_open))
