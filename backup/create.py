"""`cryptopilot backup`: the gateway's database, the pools, strategies and configs, encrypted.

Order matters for consistency while everything runs: the database first, then the pools. A
bot's trade database is the source of the trades the gateway copies, so it is the newer of
the two; after a restore the pool's trade sync brings the gateway's copy up to date.
"""

from __future__ import annotations

import socket
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from backup.archive import write_archive
from backup.configs import capture_env_files, capture_secrets, capture_strategies
from backup.database import dump_database
from backup.errors import BackupError
from backup.manifest import Manifest
from backup.pools import capture_pool
from backup.progress import Progress
from backup.strategyrepo import capture_strategy_repo


@dataclass(frozen=True)
class BackupRequest:
    """What to put in the archive and where to write it."""

    out: Path
    passphrase: str
    database_url: str | None  # None: no database (a pool-only host)
    pool_dirs: list[Path] = field(default_factory=list)
    env_files: list[Path] = field(default_factory=list)
    include_secrets: bool = False
    include_logs: bool = False
    pg_dump: str | None = None
    strategy_repo: Path | None = None  # the strategy store's git repository (gateway host)


async def create_backup(request: BackupRequest, progress: Progress) -> Manifest:
    """Write the archive; returns its manifest."""
    if request.out.exists():
        raise BackupError(f"{request.out} already exists: choose a new name")
    manifest = Manifest(
        app_version=version("cryptopilot"),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        host=socket.gethostname(),
        include_secrets=request.include_secrets,
        include_logs=request.include_logs,
    )
    # Staged next to the archive (same disk, owner-only folder), removed afterwards.
    with tempfile.TemporaryDirectory(prefix=".cryptopilot-backup-", dir=request.out.parent) as tmp:
        staging = Path(tmp)
        if request.database_url is not None:
            manifest.database = await dump_database(
                request.database_url, staging, progress, request.pg_dump
            )
        for data_dir in request.pool_dirs:
            with progress.step(f"pool data dir {data_dir}"):
                part = capture_pool(data_dir, staging, progress, request.include_logs)
            if any(p.pool_id == part.pool_id for p in manifest.pools):
                raise BackupError(f"two data dirs hold pool {part.pool_id}")
            manifest.pools.append(part)
        manifest.strategies = capture_strategies(staging)
        if request.strategy_repo is not None:
            with progress.step(f"strategy repository {request.strategy_repo}"):
                manifest.strategy_repo_head = capture_strategy_repo(request.strategy_repo, staging)
        manifest.configs = capture_env_files(request.env_files, staging, request.include_secrets)
        if request.include_secrets:
            capture_secrets(staging)
        write_archive(staging, manifest, request.out, request.passphrase, progress)
    return manifest
