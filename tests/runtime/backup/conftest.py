"""Backup fixtures: real FreqTrade databases and the real sqld server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.sync.ftdb import make_freqtrade_db


def bot_database(root: Path, bot_id: str, trades: int = 2) -> Path:
    """`<root>/bots/<bot_id>/tradesv3.dryrun.sqlite` made by FreqTrade itself."""
    path = root / "bots" / bot_id / "tradesv3.dryrun.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    make_freqtrade_db(path, trades=trades)
    return path


@pytest.fixture
def bot_db(tmp_path: Path) -> Path:
    """A FreqTrade database with two open trades, their buy orders and one pair lock."""
    return bot_database(tmp_path, "b1")
