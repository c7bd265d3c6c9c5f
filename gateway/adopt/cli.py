"""`cryptopilot bot adopt DIR --user EMAIL`: bring an old per-container bot into a pool.

Runs on the gateway host with the gateway's settings (CRYPTOPILOT_* environment), like
`cryptopilot user create`. Heavy imports stay inside the handler so `--help` is fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.adopt.service import Adopted, AdoptPlan
    from gateway.settings import Settings

PROG = "cryptopilot bot adopt"


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `bot adopt`."""
    adopt = subparsers.add_parser(
        "adopt",
        help="adopt an old per-container bot folder into a pool (same trades)",
        description=(
            "Adopt an old bot: DIR holds its config.json, tradesv3*.sqlite and strategy file. "
            "The folder is only read. See docs/adopt-old-bots.md."
        ),
    )
    adopt.add_argument("dir", type=Path, metavar="DIR", help="the old bot's folder")
    adopt.add_argument("--user", required=True, metavar="EMAIL", help="the owner's e-mail")
    adopt.add_argument(
        "--instance-id", default=None, metavar="ID", help="the new bot's id (default: DIR's name)"
    )
    adopt.add_argument(
        "--dry-run", action="store_true", help="check and show the plan; change nothing"
    )
    adopt.add_argument(
        "--snapshot-dir",
        type=Path,
        default=None,
        help="where the trade database snapshot is staged; the pool must read it (default: tmp)",
    )
    adopt.set_defaults(func=adopt_command)


def adopt_command(args: argparse.Namespace) -> int:
    """Run the adoption (or its dry run); 0 when done, 1 when refused."""
    from envsettings import SettingsError
    from gateway.errors import ApiError
    from gateway.settings import Settings
    from observability.logs import configure_logging

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_json, service="gateway")
    try:
        asyncio.run(
            run_adoption(
                settings,
                args.dir,
                args.user,
                instance_id=args.instance_id,
                dry_run=args.dry_run,
                snapshot_dir=args.snapshot_dir,
            )
        )
    except ApiError as exc:
        print(f"{PROG}: refused: {exc.message}", file=sys.stderr)
        return 1
    return 0


async def run_adoption(
    settings: Settings,
    folder: Path,
    email: str,
    *,
    instance_id: str | None = None,
    dry_run: bool = False,
    snapshot_dir: Path | None = None,
) -> None:
    """Open the gateway's database and pools, then plan or perform the adoption."""
    from gateway.adopt.service import AdoptService
    from gateway.db.database import Database
    from gateway.services.accounts.users import UserStore
    from gateway.services.common import utcnow
    from gateway.services.container import build_trading
    from runtime.botconfig import strategies_dir

    db = Database(settings.database_url)
    trading = build_trading(settings, db, utcnow)
    try:
        await db.upgrade()
        await trading["strategies"].start(strategies_dir())  # bots get the store's versions
        service = AdoptService(users=UserStore(db), bots=trading["bots"], snapshot_dir=snapshot_dir)
        if dry_run:
            _print_plan(await service.plan(folder, email, instance_id))
            print("dry run: nothing was changed")
            return
        pools = trading["pools"]
        await pools.start()
        await pools.check_health()  # placement only considers pools seen healthy
        _print_done(await service.adopt(folder, email, instance_id))
    finally:
        await trading["pools"].close()
        await trading["bot_api"].close()
        await db.close()


def _print_plan(plan: AdoptPlan) -> None:
    old = plan.old
    strategy = old.strategy
    where = (
        f"strategies/{strategy.in_library.name}"
        if strategy.in_library is not None
        else f"{strategy.in_folder} (copied into strategies/)"
    )
    print(f"adopt {old.folder} as bot {plan.bot_id} of {plan.email}")
    print(f"  config:      {', '.join(p.name for p in old.config_files)}")
    print(f"  database:    {old.database} ({plan.trades.total} trades, {plan.trades.open} open)")
    print(f"  strategy:    {strategy.name} from {where}")
    print(f"  pairs:       {', '.join(old.pairs)} ({old.stake_currency}, {old.timeframe})")
    print(f"  allocation:  {old.wallet_cents / 100:.2f} {old.stake_currency} from the wallet")
    print(f"  stake:       {old.stake_amount}, max {old.max_open_trades} open trades")


def _print_done(done: Adopted) -> None:
    _print_plan(done.plan)
    bot = done.provisioned.bot
    print(f"adopted: bot {bot.id} runs in pool {bot.pool_id} on port {bot.api_port}")
