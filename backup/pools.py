"""A pool's data dir in the archive: pool.json, each bot's config and trade database.

Which pools: the data dirs given with `--pool-dir`, else the one the pool settings of this
environment name (`CRYPTOPILOT_POOL_DATA_DIR`), when it holds a pool.json. Only pools on
this host can be read; a pool on another host is backed up there (`--no-database`).

pool.json is read once (the supervisor replaces it atomically) and only the bots it lists
are taken, each database through SQLite's online backup API while its bot trades.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from backup.errors import BackupError, CountMismatch, TargetNotEmpty
from backup.manifest import BotPart, PoolPart
from backup.progress import Progress
from backup.sqlite import online_copy, trade_counts
from runtime.botconfig import BotPaths
from runtime.settings import load_settings
from runtime.store import STORE_VERSION

POOL_FILE = "pool.json"


def pool_dirs(explicit: list[Path]) -> list[Path]:
    """The data dirs to back up: the explicit ones, else the configured pool's if it has one."""
    if explicit:
        missing = [str(d) for d in explicit if not (d / POOL_FILE).is_file()]
        if missing:
            raise BackupError(f"no {POOL_FILE} in {', '.join(missing)}: not a pool data dir")
        return [d.resolve() for d in explicit]
    configured = load_settings().data_dir
    return [configured.resolve()] if (configured / POOL_FILE).is_file() else []


def _read_store(data_dir: Path) -> tuple[str, dict[str, Any]]:
    raw = (data_dir / POOL_FILE).read_text(encoding="utf-8")
    data = json.loads(raw)
    if data.get("version") != STORE_VERSION:
        raise BackupError(f"{data_dir / POOL_FILE}: unsupported version {data.get('version')!r}")
    return raw, data


def capture_pool(
    data_dir: Path, staging: Path, progress: Progress, include_logs: bool = False
) -> PoolPart:
    """Copy one pool's state into `staging/pools/<pool_id>/`; returns its manifest entry."""
    raw, data = _read_store(data_dir)
    pool_id = str(data["pool_id"])
    into = staging / "pools" / pool_id
    into.mkdir(parents=True)
    (into / POOL_FILE).write_text(raw, encoding="utf-8")
    part = PoolPart(pool_id=pool_id, data_dir=str(data_dir))
    bot_ids = sorted(data["bots"])
    for number, bot_id in enumerate(bot_ids, 1):
        progress.say(f"    pool {pool_id}: bot {number}/{len(bot_ids)} {bot_id}")
        live, copy = BotPaths.of(data_dir, bot_id), BotPaths.of(into, bot_id)
        copy.root.mkdir(parents=True)
        if live.config.is_file():
            shutil.copyfile(live.config, copy.config)
        if include_logs and live.log.parent.is_dir():
            shutil.copytree(live.log.parent, copy.log.parent)
        if live.database.is_file():
            online_copy(live.database, copy.database)
            trades, open_trades = trade_counts(copy.database)
            part.bots.append(BotPart(bot_id, trades, open_trades))
        else:  # added but never started: nothing traded yet
            part.bots.append(BotPart(bot_id, 0, 0, has_database=False))
    return part


def check_target(target: Path, force: bool) -> None:
    """Raise TargetNotEmpty unless `target` is missing or empty, or `force` replaces it."""
    if not force and target.exists() and any(target.iterdir()):
        raise TargetNotEmpty(f"pool data dir {target} is not empty")


def restore_pool(
    part: PoolPart, unpacked: Path, target: Path, progress: Progress, force: bool = False
) -> None:
    """Put an archived pool into `target` (must be empty unless `force`); counts verified."""
    check_target(target, force)
    if target.exists():  # forced: the archive's pool.json and bots replace what is there
        (target / POOL_FILE).unlink(missing_ok=True)
        shutil.rmtree(target / "bots", ignore_errors=True)
    with progress.step(f"restoring pool {part.pool_id} into {target}"):
        shutil.copytree(unpacked / "pools" / part.pool_id, target, dirs_exist_ok=True)
        (target / POOL_FILE).chmod(0o600)
    for bot in part.bots:
        database = BotPaths.of(target, bot.bot_id).database
        if not bot.has_database:
            continue
        counted = trade_counts(database)
        if counted != (bot.trades, bot.open_trades):
            raise CountMismatch(
                f"bot {bot.bot_id}: {counted} (trades, open) restored, manifest "
                f"{(bot.trades, bot.open_trades)}"
            )
