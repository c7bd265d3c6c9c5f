"""`cryptopilot pool ...`: run a pool supervisor, or talk to one over its control API."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from pydantic import SecretStr

from runtime.settings import ENV_PREFIX, PoolSettings

DEFAULT_URL = "http://127.0.0.1:18080"


def _add_settings_options(parser: argparse.ArgumentParser) -> None:
    """One option per PoolSettings field; help text and default come from its Field."""
    for env, default, description in PoolSettings.env_rows():
        name = env.removeprefix(ENV_PREFIX).lower()
        flag = "--" + name.replace("_", "-")
        kind = PoolSettings.model_fields[name].annotation
        shown = "(secret)" if kind is SecretStr else default
        help_text = f"{description} Env {env}; default {shown}."
        if kind is bool:
            parser.add_argument(
                flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        else:
            parse = {"int": int, "float": float}.get(getattr(kind, "__name__", ""), str)
            parser.add_argument(flag, dest=name, type=parse, default=None, help=help_text)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pool` and its sub-commands."""
    pool = subparsers.add_parser(
        "pool",
        help="run a bot pool supervisor or manage one",
        description="Run a pool supervisor, or manage one over RPC.",
    )
    sub = pool.add_subparsers(dest="pool_command", required=True, metavar="POOL_COMMAND")

    run = sub.add_parser(
        "run",
        help="run the pool supervisor (foreground)",
        description="Run one pool supervisor: FreqTrade bots forked from a "
        "warm forkserver, controlled over an authenticated JSON API.",
    )
    _add_settings_options(run)
    run.add_argument(
        "--print-settings",
        action="store_true",
        help="print the effective settings (secrets masked) and exit",
    )
    run.set_defaults(func=_run)

    def client(name: str, help_text: str, with_bot: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        parser.add_argument(
            "--url",
            default=os.environ.get("CRYPTOPILOT_POOL_URL", DEFAULT_URL),
            help="control API of the pool (env CRYPTOPILOT_POOL_URL)",
        )
        parser.add_argument("--token", default=None, help=f"bearer token (env {ENV_PREFIX}TOKEN)")
        if with_bot:
            parser.add_argument("bot_id", help="the bot's id")
        parser.set_defaults(func=_client, pool_command=name)
        return parser

    add = client("add", "add a bot and start it")
    add.add_argument("--owner", required=True, help="user id owning the bot")
    add.add_argument("--strategy", required=True, help="strategy class in strategies/")
    add.add_argument("--pairs", required=True, help="comma-separated pairs, e.g. BTC/USDT,ETH/USDT")
    add.add_argument("--stake-currency", default="USDT", help="stake currency (default USDT)")
    add.add_argument("--wallet", type=float, required=True, help="dry-run wallet amount")
    add.add_argument("--stake-amount", default="unlimited", help="per trade (default unlimited)")
    add.add_argument("--max-open-trades", type=int, default=3, help="default 3")
    add.add_argument("--timeframe", default=None, help="override the strategy's timeframe")
    add.add_argument("--overrides", default="{}", help="JSON object merged into the config")
    client("remove", "stop a bot and delete it").add_argument(
        "--keep-data", action="store_true", help="archive its folder instead of deleting it"
    )
    client("start", "start a stopped or fatal bot")
    client("stop", "stop a bot (SIGTERM, grace period, SIGKILL)")
    client("restart", "restart a bot on the same port and database")
    client("status", "show one bot's status")
    client("list", "list the pool's bots", with_bot=False)
    client("health", "show the pool's capacity, free slots and memory", with_bot=False)


def _run(args: argparse.Namespace) -> int:
    from runtime.settings import load_settings
    from runtime.supervisor import run_supervisor

    names = PoolSettings.model_fields.keys()
    settings = load_settings({k: v for k, v in vars(args).items() if k in names})
    if args.print_settings:
        print(json.dumps(settings.masked(), indent=2))
        return 0
    settings.require_token()
    return run_supervisor(settings)


def _stake(value: str) -> float | str:
    return value if value == "unlimited" else float(value)


async def _call(args: argparse.Namespace, token: str) -> Any:
    from runtime.rpc.client import PoolClient

    async with PoolClient(args.url, token) as pool:
        command = args.pool_command
        if command == "add":
            return await pool.add_bot(
                {
                    "bot_id": args.bot_id,
                    "owner": args.owner,
                    "strategy": args.strategy,
                    "pairs": [p.strip() for p in args.pairs.split(",") if p.strip()],
                    "stake_currency": args.stake_currency,
                    "dry_run_wallet": args.wallet,
                    "stake_amount": _stake(args.stake_amount),
                    "max_open_trades": args.max_open_trades,
                    "timeframe": args.timeframe,
                    "config_overrides": json.loads(args.overrides),
                }
            )
        if command == "remove":
            return await pool.remove_bot(args.bot_id, keep_data=args.keep_data)
        if command in {"start", "stop", "restart"}:
            return await getattr(pool, f"{command}_bot")(args.bot_id)
        if command == "status":
            return await pool.bot_status(args.bot_id)
        if command == "list":
            return await pool.list_bots()
        return await pool.health()


def _client(args: argparse.Namespace) -> int:
    from runtime.rpc.client import PoolApiError

    token = args.token or os.environ.get(ENV_PREFIX + "TOKEN", "")
    try:
        result = asyncio.run(_call(args, token))
    except PoolApiError as exc:
        print(
            json.dumps(
                {"success": False, "status": exc.status, "code": exc.code, "message": exc.message},
                indent=2,
            ),
            file=sys.stderr,
        )
        return 1
    except (OSError, TimeoutError) as exc:
        print(f"error: cannot reach the pool at {args.url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0
