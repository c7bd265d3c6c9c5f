"""PostgreSQL's own client tools: finding a `pg_dump`/`pg_restore` new enough, and running one.

`pg_dump` can dump servers of its own major version or older, so the tool must be at least
the server's major version; Debian installs each major's tools in
`/usr/lib/postgresql/<major>/bin/`, which is searched when the one on PATH is too old.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

from sqlalchemy.engine import URL

from backup.errors import BackupError

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
DEBIAN_TOOLS = Path("/usr/lib/postgresql")


async def tool_version(tool: str) -> tuple[int, str]:
    """(major, full version text) of a PostgreSQL client tool, from `TOOL --version`."""
    process = await asyncio.create_subprocess_exec(
        tool, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    match = _VERSION.search(out.decode(errors="replace"))
    if process.returncode != 0 or match is None:
        raise BackupError(f"{tool} --version did not answer like a PostgreSQL tool")
    return int(match[1]), match[0].split()[-1]


def _candidates(name: str, explicit: str | None) -> list[str]:
    """The explicit tool, else the one on PATH and then Debian's, newest major first."""
    if explicit:
        return [explicit] if Path(explicit).exists() else []
    found = [shutil.which(name)]
    found += [str(path) for path in sorted(DEBIAN_TOOLS.glob("*/bin/" + name), reverse=True)]
    return [path for path in found if path is not None]


async def find_tool(name: str, at_least: int, explicit: str | None = None) -> tuple[str, str]:
    """A `name` tool of major version >= `at_least`: (path, version); raises BackupError."""
    seen = []
    for candidate in _candidates(name, explicit):
        major, version = await tool_version(candidate)
        if major >= at_least:
            return candidate, version
        seen.append(f"{candidate} is {version}")
    found = "; ".join(seen) or f"no {name} found"
    raise BackupError(
        f"{name} of PostgreSQL {at_least} or newer is needed ({found}): install "
        f"postgresql-client-{at_least} or pass the tool's path"
    )


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq connection string, and the env carrying its password.

    The password goes through PGPASSWORD, never the command line (other users see argv).
    """
    query = dict(url.query)
    if "ssl" in query:  # asyncpg's name for libpq's sslmode
        query["sslmode"] = str(query.pop("ssl"))
    plain = url.set(drivername="postgresql", password=None, query=query)
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


async def run_tool(args: list[str], env: dict[str, str]) -> None:
    """Run a client tool; raise BackupError with its stderr when it fails."""
    process = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        tail = err.decode(errors="replace").strip()[-2000:]
        raise BackupError(f"{Path(args[0]).name} failed ({process.returncode}): {tail}")
