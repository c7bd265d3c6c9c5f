"""The gateway's database in the archive: dumped while the gateway runs, restored, counted.

PostgreSQL: `pg_dump --format=custom` from a snapshot that a REPEATABLE READ transaction
exports, so the manifest's counts are read from exactly what the dump holds. SQLite: a copy
through SQLite's online backup API, counted from the copy.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from backup import pgtools
from backup.errors import BackupError, CountMismatch, TargetNotEmpty
from backup.manifest import DatabasePart
from backup.progress import Progress
from backup.sqlite import online_copy

# What the manifest counts, and the table each count reads.
COUNTED_TABLES = {
    "users": "users",
    "wallets": "wallets",
    "ledger": "wallet_transactions",
    "bots": "bots",
}
PG_MEMBER = "database/gateway.pgdump"
SQLITE_MEMBER = "database/gateway.sqlite3"


async def _counts(conn: AsyncConnection) -> dict[str, int]:
    counts = {}
    for name, table in COUNTED_TABLES.items():
        query = text(f"SELECT count(*) FROM {table}")  # noqa: S608 - names from COUNTED_TABLES
        counts[name] = int((await conn.execute(query)).scalar_one())
    return counts


async def _revision(conn: AsyncConnection) -> str:
    """The schema revision the database stands at (Alembic's version table)."""
    value = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    return "" if value is None else str(value)


async def read_counts(url: str | URL) -> tuple[dict[str, int], str]:
    """(counts, schema revision) of a gateway database."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await _counts(conn), await _revision(conn)
    finally:
        await engine.dispose()


async def dump_database(
    url_text: str, staging: Path, progress: Progress, pg_dump: str | None = None
) -> DatabasePart:
    """Dump the gateway's database into `staging`; returns its manifest entry."""
    url = make_url(url_text)
    if url.get_backend_name() == "sqlite":
        target = staging / SQLITE_MEMBER
        with progress.step(f"copying the gateway's SQLite database {url.database}"):
            _copy_sqlite(url, target)
        counts, revision = await read_counts(f"sqlite+aiosqlite:///{target}")
        return DatabasePart("sqlite", SQLITE_MEMBER, revision, counts)
    if url.get_backend_name() != "postgresql":
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")
    return await _dump_postgres(url, staging / PG_MEMBER, progress, pg_dump)


def _copy_sqlite(url: URL, target: Path) -> None:
    if not url.database or not Path(url.database).is_file():
        raise BackupError(f"the gateway's SQLite database {url.database!r} does not exist")
    online_copy(Path(url.database), target)


async def _dump_postgres(
    url: URL, target: Path, progress: Progress, pg_dump: str | None
) -> DatabasePart:
    target.parent.mkdir(parents=True, exist_ok=True)
    dsn, env = pgtools.libpq_target(url)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                snapshot = (await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
                server = str((await conn.execute(text("SHOW server_version"))).scalar_one())
                number = int((await conn.execute(text("SHOW server_version_num"))).scalar_one())
                tool, version = await pgtools.find_tool("pg_dump", number // 10000, pg_dump)
                counts, revision = await _counts(conn), await _revision(conn)
                with progress.step(f"pg_dump {version} of PostgreSQL {server} ({url.database})"):
                    args = [tool, "--format=custom", f"--snapshot={snapshot}"]
                    await pgtools.run_tool([*args, f"--file={target}", "--dbname", dsn], env)
    finally:
        await engine.dispose()
    return DatabasePart(
        "postgresql",
        PG_MEMBER,
        revision,
        counts,
        server_version=server,
        dump_tool=f"pg_dump {version}",
    )


async def restore_database(
    part: DatabasePart,
    unpacked: Path,
    url_text: str,
    progress: Progress,
    *,
    force: bool = False,
    pg_restore: str | None = None,
) -> dict[str, int]:
    """Put the archived database into the configured one; returns the counts it then holds."""
    url = make_url(url_text)
    if url.get_backend_name() != part.kind:
        raise BackupError(
            f"the archive holds a {part.kind} database but CRYPTOPILOT_DATABASE_URL is "
            f"{url.get_backend_name()}: configure a {part.kind} database to restore into"
        )
    if part.kind == "postgresql":
        await _restore_postgres(part, unpacked / part.member, url, progress, force, pg_restore)
    else:
        _restore_sqlite(unpacked / part.member, url, progress, force)
    counts, _ = await read_counts(url)
    if counts != part.counts:
        raise CountMismatch(f"restored database counts {counts}, the manifest {part.counts}")
    return counts


async def _table_count(url: URL) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            if url.get_backend_name() == "sqlite":
                query = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            else:
                query = (
                    "SELECT count(*) FROM information_schema.tables"
                    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            return int((await conn.execute(text(query))).scalar_one())
    finally:
        await engine.dispose()


async def _restore_postgres(
    part: DatabasePart,
    dump: Path,
    url: URL,
    progress: Progress,
    force: bool,
    pg_restore: str | None,
) -> None:
    tables = await _table_count(url)
    if tables and not force:
        raise TargetNotEmpty(f"database {url.database} already has {tables} tables")
    dumped_by = int(part.dump_tool.split()[-1].split(".")[0])
    tool, version = await pgtools.find_tool("pg_restore", dumped_by, pg_restore)
    dsn, env = pgtools.libpq_target(url)
    args = [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", dsn]
    args += ["--clean", "--if-exists"] if tables else ["--single-transaction"]
    with progress.step(f"pg_restore {version} into {url.database}"):
        await pgtools.run_tool([*args, str(dump)], env)


def _restore_sqlite(copy: Path, url: URL, progress: Progress, force: bool) -> None:
    if not url.database or url.database == ":memory:":
        raise BackupError("CRYPTOPILOT_DATABASE_URL names no SQLite file to restore into")
    target = Path(url.database)
    if target.exists() and target.stat().st_size > 0 and not force:
        raise TargetNotEmpty(f"the SQLite database {target} already exists")
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    with progress.step(f"restoring the SQLite database {target}"):
        online_copy(copy, target)
