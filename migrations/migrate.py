"""Brings a database to the newest Alembic revision in `versions/` (`cryptopilot db upgrade`).

Alembic is configured here in code, with no alembic.ini: `env.py` runs on the connection
handed over in `Config.attributes`, inside the one transaction `upgrade` opens, so a failed
upgrade leaves nothing behind and concurrent upgraders on PostgreSQL wait on an advisory lock.
A database made by the old numbered-SQL runner (`schema_migrations` holding 1..4) is stamped
at the first revision, which creates exactly that schema, in the same transaction.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, inspect, text

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
# The revision that creates what the old runner's 0001..0004 SQL files created.
FIRST_REVISION = "0001"
LEGACY_TABLE = "schema_migrations"
LEGACY_VERSIONS = frozenset({1, 2, 3, 4})
# Serialises concurrent upgrades on PostgreSQL (any constant shared by all upgraders).
_PG_LOCK_KEY = 727_274_001


class LegacySchemaError(RuntimeError):
    """The old runner's `schema_migrations` holds other versions than 1..4: not ours to adopt."""


def config(
    connection: Connection | None = None, version_locations: Sequence[Path] = (VERSIONS_DIR,)
) -> Config:
    """Alembic's configuration for this folder; `env.py` runs on `connection`."""
    cfg = Config()
    cfg.set_main_option("script_location", _option(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "newline")
    cfg.set_main_option("version_locations", "\n".join(_option(p) for p in version_locations))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():  # a development install: new revisions come out as `make lint` wants
        cfg.set_section_option("post_write_hooks", "hooks", "ruff_format, ruff_fix")
        for name, args in (("ruff_format", "format"), ("ruff_fix", "check --fix")):
            options = {
                "type": "exec",
                "executable": _option(ruff),
                "options": f"{args} REVISION_SCRIPT_FILENAME",
            }
            for key, value in options.items():
                cfg.set_section_option("post_write_hooks", f"{name}.{key}", value)
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(
    connection: Connection,
    version_locations: Sequence[Path] = (VERSIONS_DIR,),
    target: str = "head",
) -> list[str]:
    """Apply every pending revision (up to `target`) in one transaction; returns those applied.

    `connection` must not be in a transaction yet: on SQLite, foreign keys are switched off
    around it (they cannot change inside one), or the table copies of batch operations would
    cascade-delete the rows that refer to the copied table; a foreign-key check runs instead
    before the commit.
    """
    sqlite = connection.dialect.name == "sqlite"
    foreign_keys = _sqlite_pragma(connection, "foreign_keys") if sqlite else None
    if foreign_keys:
        _sqlite_pragma(connection, "foreign_keys=OFF")
    try:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
                )
            cfg = config(connection, version_locations)
            _adopt_legacy(connection, ScriptDirectory.from_config(cfg))
            applied: list[str] = []
            cfg.attributes["applied"] = applied
            command.upgrade(cfg, target)
            if sqlite:
                _check_foreign_keys(connection)
    finally:
        if foreign_keys:
            _sqlite_pragma(connection, "foreign_keys=ON")
    for revision in applied:
        logger.info("applied revision %s", revision)
    return applied


def is_current(connection: Connection) -> bool:
    """True when the database stands at the newest revision."""
    heads = ScriptDirectory.from_config(config()).get_heads()
    return set(MigrationContext.configure(connection).get_current_heads()) == set(heads)


def new_revision(
    connection: Connection, message: str, *, empty: bool = False, directory: Path = VERSIONS_DIR
) -> Path:
    """Write the next numbered revision into `directory` and return its path.

    It holds what the tables in `schema.py` differ from the database by (which must stand at
    the newest revision), or nothing with `empty`, to write by hand (data moves, say).
    """
    cfg = config(connection, tuple(dict.fromkeys((VERSIONS_DIR, directory))))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    rev_id = f"{int(head or 0) + 1:04d}"
    with connection.begin():
        script = command.revision(
            cfg, message, autogenerate=not empty, rev_id=rev_id, version_path=str(directory)
        )
    assert isinstance(script, Script)  # noqa: S101 - one head, so one script
    return Path(script.path)


def _adopt_legacy(connection: Connection, scripts: ScriptDirectory) -> None:
    tables = inspect(connection).get_table_names()
    if LEGACY_TABLE not in tables or "alembic_version" in tables:
        return
    rows = connection.execute(text(f"SELECT version FROM {LEGACY_TABLE}"))  # noqa: S608
    versions = {int(row[0]) for row in rows}
    if versions != LEGACY_VERSIONS:
        raise LegacySchemaError(
            f"{LEGACY_TABLE} holds versions {sorted(versions)}, expected 1..4: this database"
            " was not made by the last release of the numbered SQL migrations"
        )
    MigrationContext.configure(connection).stamp(scripts, FIRST_REVISION)
    connection.execute(text(f"DROP TABLE {LEGACY_TABLE}"))
    logger.info("database of the old SQL migrations 1..4 stamped at revision %s", FIRST_REVISION)


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the upgrade broke foreign keys (table, rowid, parent): {broken}")


def _sqlite_pragma(connection: Connection, pragma: str) -> object:
    # On the driver's connection: through SQLAlchemy the statement would begin a transaction.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row[0] if row else None


def _option(path: Path) -> str:
    return str(path).replace("%", "%%")  # Alembic's options are ConfigParser-interpolated
