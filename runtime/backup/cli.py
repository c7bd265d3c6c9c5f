"""`cryptopilot bot restore-from-turso BOT_ID --data-dir DIR`: rebuild a bot's SQLite.

Runs on the pool host while the bot is stopped. The Turso URL and token default to the pool's
own settings (`CRYPTOPILOT_POOL_TURSO_URL`, `CRYPTOPILOT_POOL_TURSO_AUTH_TOKEN`). Heavy
imports stay inside the handler so `--help` is fast. See docs/turso.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROG = "cryptopilot bot restore-from-turso"


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `bot restore-from-turso`."""
    restore = subparsers.add_parser(
        "restore-from-turso",
        help="rebuild a bot's trade database from its Turso backup (stop the bot first)",
        description=(
            "Rebuild <data-dir>/bots/BOT_ID/tradesv3.dryrun.sqlite from the Turso backup. "
            "Stop the bot first, start it afterwards: it resumes with its trade history."
        ),
    )
    restore.add_argument("bot_id", metavar="BOT_ID", help="the bot to restore")
    restore.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the pool's data folder (default: CRYPTOPILOT_POOL_DATA_DIR or the pool default)",
    )
    restore.add_argument("--url", default=None, help="backup database URL (default: pool settings)")
    restore.add_argument("--token", default=None, help="auth token (default: pool settings)")
    restore.add_argument("--force", action="store_true", help="replace an existing trade database")
    restore.set_defaults(func=restore_command)


def restore_command(args: argparse.Namespace) -> int:
    """Restore the bot's database; 0 when done, 1 when refused, 2 on bad settings."""
    import asyncio

    from observability.logs import configure_logging
    from runtime.backup.restore import RestoreError, check_target, restore_bot
    from runtime.botconfig import BotPaths
    from runtime.errors import InvalidInput
    from runtime.settings import load_settings
    from runtime.spec import validate_bot_id

    settings = load_settings(
        {"data_dir": args.data_dir, "turso_url": args.url, "turso_auth_token": args.token}
    )
    configure_logging(settings.log_level, settings.log_json, service="pool", pool=settings.pool_id)
    if not settings.turso_url:
        print(f"{PROG}: no backup URL (--url or CRYPTOPILOT_POOL_TURSO_URL)", file=sys.stderr)
        return 2
    try:
        validate_bot_id(args.bot_id)
    except InvalidInput as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    target = BotPaths.of(settings.data_dir, args.bot_id).database
    try:
        check_target(target, args.force)
        result = asyncio.run(
            restore_bot(
                settings.turso_url,
                settings.turso_auth_token.get_secret_value(),
                args.bot_id,
                target,
                args.force,
            )
        )
    except RestoreError as exc:
        print(f"{PROG}: refused: {exc}", file=sys.stderr)
        return 1
    summary = ", ".join(f"{table}: {count}" for table, count in sorted(result.tables.items()))
    print(f"restored {args.bot_id} into {result.path} ({summary})")
    return 0
