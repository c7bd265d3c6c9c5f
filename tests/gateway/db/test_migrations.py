"""The numbered migrations: idempotent, recorded, and equal to the Core table definitions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Boolean, DateTime, Float, Integer, String, TypeDecorator, inspect, text

from gateway.db.database import Database
from migrations import runner
from migrations.schema import metadata


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    make: Callable[[], str] = request.getfixturevalue("make_postgres_database")
    return make()


def _family(column_type: Any) -> str:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl
    families = (
        ("bool", Boolean),
        ("int", Integer),
        ("float", Float),
        ("time", DateTime),
        ("text", String),
    )
    for family, kind in families:
        if isinstance(column_type, kind):
            return family
    raise AssertionError(f"unexpected column type {column_type!r}")


def _describe(sync_conn: Any) -> dict[str, Any]:
    inspector = inspect(sync_conn)
    schema = {}
    for table in inspector.get_table_names():
        columns = {
            c["name"]: (_family(c["type"]), bool(c["nullable"]))
            for c in inspector.get_columns(table)
        }
        pk = tuple(inspector.get_pk_constraint(table)["constrained_columns"])
        indexes = {i["name"] for i in inspector.get_indexes(table) if i["name"]}
        schema[table] = {"columns": columns, "pk": pk, "indexes": indexes}
    return schema


def _expected() -> dict[str, Any]:
    schema = {}
    for table in metadata.sorted_tables:
        columns = {
            c.name: (_family(c.type), bool(c.nullable) and not c.primary_key) for c in table.columns
        }
        pk = tuple(c.name for c in table.primary_key.columns)
        indexes = {i.name for i in table.indexes}
        schema[table.name] = {"columns": columns, "pk": pk, "indexes": indexes}
    return schema


async def test_upgrade_is_idempotent_and_recorded(empty_db_url: str) -> None:
    engine = Database(empty_db_url).engine
    try:
        assert await runner.upgrade(engine) == [m.version for m in runner.discover()]
        assert await runner.upgrade(engine) == []
        assert await runner.pending(engine) == []
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version, name FROM schema_migrations"))).all()
            roles = (await conn.execute(text("SELECT name FROM roles ORDER BY name"))).all()
        assert [(r.version, r.name) for r in rows] == [
            (m.version, m.name) for m in runner.discover()
        ]
        assert [r.name for r in rows][:2] == ["accounts", "trading"]
        assert [r.name for r in roles] == ["admin", "user"]
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_core_tables(empty_db_url: str) -> None:
    engine = Database(empty_db_url).engine
    try:
        await runner.upgrade(engine)
        async with engine.connect() as conn:
            actual = await conn.run_sync(_describe)
    finally:
        await engine.dispose()
    expected = _expected()
    # SQLite reports unnamed automatic indexes for UNIQUE constraints; named ones must match.
    assert set(actual) == set(expected)
    for name, table in expected.items():
        assert actual[name]["columns"] == table["columns"], name
        assert actual[name]["pk"] == table["pk"], name
        assert table["indexes"] <= actual[name]["indexes"], name


def test_statements_split_and_comments_dropped() -> None:
    migration = runner.Migration(9, "x", "-- note; not a statement\nCREATE TABLE a (x TEXT);\n"
                                 "INSERT INTO a VALUES ('p;q');\n")  # fmt: skip
    assert migration.statements() == ["CREATE TABLE a (x TEXT)", "INSERT INTO a VALUES ('p;q')"]


def test_discover_refuses_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="without gaps"):
        runner.discover(tmp_path)


async def test_failed_migration_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE good (x TEXT);\n")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (x TEXT);\nNOT SQL AT ALL;\n")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    engine = db.engine
    try:
        with pytest.raises(Exception, match="syntax error"):
            await runner.upgrade(engine, tmp_path)
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            versions = (await conn.execute(text("SELECT version FROM schema_migrations"))).all()
        assert "good" in names and "half" not in names
        assert [v[0] for v in versions] == [1]
    finally:
        await engine.dispose()
