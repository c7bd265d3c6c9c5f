"""Sync fixtures: a migrated target database (SQLite and PostgreSQL) and FreqTrade files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.db.database import Database
from tests.runtime.sync.ftdb import make_freqtrade_db


async def migrated(url: str) -> str:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.close()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated gateway database the worker writes into (made outside the loop)."""
    if request.param == "sqlite":
        return asyncio.run(migrated(f"sqlite+aiosqlite:///{tmp_path / 'target.sqlite3'}"))
    url: str = request.getfixturevalue("pg_target_url")
    return url


@pytest.fixture
def pg_target_url(make_postgres_database: Callable[[], str]) -> str:
    """A new, migrated PostgreSQL database."""
    return asyncio.run(migrated(make_postgres_database()))


@pytest.fixture
def bot_db(tmp_path: Path) -> Path:
    """A FreqTrade database with two open trades, their buy orders and one pair lock."""
    path = tmp_path / "bots" / "b1" / "tradesv3.dryrun.sqlite"
    path.parent.mkdir(parents=True)
    make_freqtrade_db(path)
    return path
