"""`cryptopilot restore`: an archive back onto a fresh host, checksums and counts verified.

Nothing is touched before the whole archive has been decrypted and its checksums verified,
and before every target (database, pool data dirs) was found empty or `--force` was given.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from backup.archive import read_archive
from backup.configs import SECRETS_MEMBER, differing_strategies
from backup.database import restore_database
from backup.errors import BackupError
from backup.manifest import Manifest
from backup.nextsteps import next_steps
from backup.pools import check_target, restore_pool
from backup.progress import Progress
from backup.strategyrepo import check_repo_target, restore_strategy_repo


@dataclass(frozen=True)
class RestoreRequest:
    """Which archive, and where its parts go."""

    archive: Path
    passphrase: str
    database_url: str | None
    config_out: Path
    pool_dirs: dict[str, Path] = field(default_factory=dict)  # pool id -> data dir override
    force: bool = False
    pg_restore: str | None = None
    strategy_repo: Path | None = None  # where the strategy store's repository goes


@dataclass(frozen=True)
class RestoreReport:
    """What was restored where, and what is left to do."""

    manifest: Manifest
    pool_targets: dict[str, Path]
    counts: dict[str, int]
    steps: list[str]


def _pool_targets(manifest: Manifest, overrides: dict[str, Path]) -> dict[str, Path]:
    known = {p.pool_id for p in manifest.pools}
    unknown = sorted(overrides.keys() - known)
    if unknown:
        raise BackupError(f"the archive has no pool {', '.join(unknown)} (it has {sorted(known)})")
    return {p.pool_id: overrides.get(p.pool_id, Path(p.data_dir)) for p in manifest.pools}


def _copy_extras(unpacked: Path, config_out: Path) -> None:
    for folder in ("config", "secrets", "strategies"):
        if (unpacked / folder).is_dir():
            shutil.copytree(unpacked / folder, config_out / folder, dirs_exist_ok=True)
    secrets = config_out / SECRETS_MEMBER
    if secrets.exists():
        secrets.chmod(0o600)


async def restore_backup(request: RestoreRequest, progress: Progress) -> RestoreReport:
    """Restore everything the archive holds; raises BackupError before touching a target."""
    request.config_out.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix=".cryptopilot-restore-", dir=request.config_out) as tmp:
        unpacked = Path(tmp)
        manifest = read_archive(request.archive, request.passphrase, unpacked, progress)
        targets = _pool_targets(manifest, request.pool_dirs)
        for target in targets.values():
            check_target(target, request.force)
        repo_head = manifest.strategy_repo_head
        if repo_head is not None:
            if request.strategy_repo is None:
                raise BackupError("the archive holds the strategy repository: say where it goes")
            check_repo_target(request.strategy_repo, request.force)
        counts: dict[str, int] = {}
        if manifest.database is not None:
            if request.database_url is None:
                raise BackupError("the archive holds a database: configure one to restore into")
            counts = await restore_database(
                manifest.database,
                unpacked,
                request.database_url,
                progress,
                force=request.force,
                pg_restore=request.pg_restore,
            )
        for pool in manifest.pools:
            restore_pool(pool, unpacked, targets[pool.pool_id], progress, request.force)
        if repo_head is not None and request.strategy_repo is not None:
            with progress.step(f"strategy repository into {request.strategy_repo}"):
                restore_strategy_repo(unpacked, request.strategy_repo, repo_head, request.force)
        _copy_extras(unpacked, request.config_out)
        differing = differing_strategies(unpacked, manifest.strategies)
    steps = next_steps(manifest, targets, request.config_out, differing)
    return RestoreReport(manifest, targets, counts, steps)
