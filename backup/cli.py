"""`cryptopilot backup OUT` and `cryptopilot restore ARCHIVE`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

PASSPHRASE_ENV = "CRYPTOPILOT_BACKUP_PASSPHRASE"  # noqa: S105 - a variable name


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `backup` and `restore`."""
    backup = subparsers.add_parser(
        "backup",
        help="write one encrypted archive of the whole platform (while it runs)",
        description="Back up the gateway's database (CRYPTOPILOT_DATABASE_URL), the pools on"
        " this host, the strategies and the env files into one encrypted archive.",
    )
    backup.add_argument("out", type=Path, help="the archive to write (must not exist)")
    backup.add_argument(
        "--pool-dir",
        action="append",
        type=Path,
        default=[],
        help="a pool's data dir (repeat for each pool; default CRYPTOPILOT_POOL_DATA_DIR"
        " when it holds a pool.json)",
    )
    backup.add_argument(
        "--env-file", action="append", type=Path, default=[], help="an env file to carry"
    )
    backup.add_argument(
        "--include-secrets",
        action="store_true",
        help="carry secrets: env files unredacted and this environment's secret settings",
    )
    backup.add_argument("--include-logs", action="store_true", help="carry the bots' logs")
    backup.add_argument(
        "--no-database", action="store_true", help="pools only (a host without the gateway)"
    )
    backup.add_argument("--pg-dump", default=None, help="path of pg_dump (default: found)")
    _common(backup)
    backup.set_defaults(func=run_backup)

    restore = subparsers.add_parser(
        "restore",
        help="restore an archive onto a fresh host",
        description="Decrypt an archive, verify it, restore the database into"
        " CRYPTOPILOT_DATABASE_URL and the pools into their data dirs, and print what is"
        " left to do.",
    )
    restore.add_argument("archive", type=Path, help="the archive `cryptopilot backup` wrote")
    restore.add_argument(
        "--pool-dir",
        action="append",
        default=[],
        metavar="POOL_ID=DIR",
        help="restore a pool into DIR instead of its old data dir (repeatable)",
    )
    restore.add_argument(
        "--config-out",
        type=Path,
        default=Path("cryptopilot-restore"),
        help="where the archive's env files, secrets and strategies go (default"
        " ./cryptopilot-restore)",
    )
    restore.add_argument(
        "--force", action="store_true", help="replace a database or data dir that is not empty"
    )
    restore.add_argument("--pg-restore", default=None, help="path of pg_restore (default: found)")
    _common(restore)
    restore.set_defaults(func=run_restore)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        default=None,
        help=f"file holding the passphrase (else env {PASSPHRASE_ENV}; never on the command line)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def _passphrase(args: argparse.Namespace) -> str:
    if args.passphrase_file is not None:
        return str(args.passphrase_file.read_text(encoding="utf-8").rstrip("\r\n"))
    value = os.environ.get(PASSPHRASE_ENV)
    if not value:
        raise ValueError(f"give --passphrase-file or set {PASSPHRASE_ENV}")
    return value


def _database_url() -> str:
    from gateway.settings import Settings

    return Settings.from_env().database_url


def _strategy_repo() -> Path:
    from gateway.settings import Settings

    return Path(Settings.from_env().strategy_repo).resolve()


def run_backup(args: argparse.Namespace) -> int:
    from backup.create import BackupRequest, create_backup
    from backup.errors import BackupError
    from backup.pools import pool_dirs
    from backup.progress import Progress

    try:
        request = BackupRequest(
            out=args.out.resolve(),
            passphrase=_passphrase(args),
            database_url=None if args.no_database else _database_url(),
            pool_dirs=pool_dirs(args.pool_dir),
            env_files=args.env_file,
            include_secrets=args.include_secrets,
            include_logs=args.include_logs,
            pg_dump=args.pg_dump,
            strategy_repo=None if args.no_database else _strategy_repo(),
        )
        manifest = asyncio.run(create_backup(request, Progress(quiet=args.quiet)))
    except (BackupError, ValueError, OSError) as exc:
        print(f"cryptopilot backup: {exc}", file=sys.stderr)
        return 1
    summary = {
        "archive": str(request.out),
        "database": manifest.database.counts if manifest.database else None,
        "pools": {p.pool_id: {b.bot_id: b.trades for b in p.bots} for p in manifest.pools},
        "secrets": manifest.include_secrets,
        "strategy_repo": manifest.strategy_repo_head,
        "members": len(manifest.members),
    }
    print(json.dumps(summary, indent=2))
    return 0


def _overrides(entries: list[str]) -> dict[str, Path]:
    overrides = {}
    for entry in entries:
        pool_id, sep, folder = entry.partition("=")
        if not sep or not pool_id or not folder:
            raise ValueError(f"--pool-dir {entry!r} is not POOL_ID=DIR")
        overrides[pool_id] = Path(folder).resolve()
    return overrides


def run_restore(args: argparse.Namespace) -> int:
    from backup.errors import BackupError
    from backup.progress import Progress
    from backup.restore import RestoreRequest, restore_backup

    try:
        request = RestoreRequest(
            archive=args.archive,
            passphrase=_passphrase(args),
            database_url=_database_url(),
            config_out=args.config_out.resolve(),
            pool_dirs=_overrides(args.pool_dir),
            force=args.force,
            pg_restore=args.pg_restore,
            strategy_repo=_strategy_repo(),
        )
        report = asyncio.run(restore_backup(request, Progress(quiet=args.quiet)))
    except (BackupError, ValueError, OSError) as exc:
        print(f"cryptopilot restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored the backup of {report.manifest.host} taken {report.manifest.created_at}")
    if report.counts:
        print("database: " + ", ".join(f"{k} {v}" for k, v in report.counts.items()))
    for pool in report.manifest.pools:
        trades = sum(b.trades for b in pool.bots)
        target = report.pool_targets[pool.pool_id]
        print(f"pool {pool.pool_id}: {len(pool.bots)} bots, {trades} trades in {target}")
    print("\nLeft to do:")
    for number, step in enumerate(report.steps, 1):
        print(f"  {number}. {step}")
    return 0
