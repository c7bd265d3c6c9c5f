"""The database handle's schema upgrade: recorded, idempotent, serialised on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from gateway.db.database import Database
from migrations import migrate


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    make: Callable[[], str] = request.getfixturevalue("make_postgres_database")
    return make()


def _all_revisions() -> list[str]:
    scripts = ScriptDirectory.from_config(migrate.config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


async def test_upgrade_is_idempotent_and_recorded(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        assert not await db.schema_is_current()
        assert await db.upgrade() == _all_revisions()
        assert _all_revisions()[0] == migrate.FIRST_REVISION
        assert await db.upgrade() == []
        assert await db.schema_is_current()
        async with db.engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            roles = (await conn.execute(text("SELECT name FROM roles ORDER BY name"))).all()
        assert [v[0] for v in versions] == _all_revisions()[-1:]
        assert [r.name for r in roles] == ["admin", "user"]
    finally:
        await db.close()


@pytest.fixture
def empty_postgres_url(make_postgres_database: Callable[[], str]) -> str:
    return make_postgres_database()


async def test_concurrent_upgrades_take_turns(empty_postgres_url: str) -> None:
    url = empty_postgres_url
    first, second = Database(url), Database(url)
    try:
        results = await asyncio.gather(first.upgrade(), second.upgrade())
    finally:
        await first.close()
        await second.close()
    assert sorted(results) == [[], _all_revisions()]
