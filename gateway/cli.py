"""`cryptopilot gateway`, `cryptopilot db upgrade|revision` and `cryptopilot user create`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

# Heavy imports (aiohttp app, SQLAlchemy) stay inside the handlers so `--help` is fast.


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the gateway's sub-commands to the `cryptopilot` parser."""
    gateway = subparsers.add_parser("gateway", help="run the API gateway")
    gateway.add_argument("--host", default=None, help="interface (default: settings host)")
    gateway.add_argument("--port", type=int, default=None, help="port (default 8080)")
    gateway.add_argument(
        "--print-settings", action="store_true", help="print the settings (secrets masked)"
    )
    gateway.set_defaults(func=run_gateway)

    db = subparsers.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply pending schema revisions")
    upgrade.set_defaults(func=db_upgrade)
    revision = db_commands.add_parser(
        "revision",
        help="write the next schema revision",
        description="Compares migrations/schema.py with the database (which must be upgraded)"
        " and writes what differs as the next file in migrations/versions/ (docs/gateway.md).",
    )
    revision.add_argument("message", help="what the revision does, e.g. 'drop bots.api_password'")
    revision.add_argument(
        "--empty", action="store_true", help="no comparison: an empty revision to write by hand"
    )
    revision.set_defaults(func=db_revision)

    user = subparsers.add_parser("user", help="manage users")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = user_commands.add_parser("create", help="create an e-mail/password user")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", default=None, help="user name (default: e-mail local part)")
    create.add_argument("--admin", action="store_true", help="give the user the admin role")
    create.set_defaults(func=user_create)


def run_gateway(args: argparse.Namespace) -> int:
    from aiohttp import web

    from gateway.app import create_app
    from gateway.settings import Settings
    from observability.logs import configure_logging

    settings = Settings.from_env(host=args.host, port=args.port)
    configure_logging(settings.log_level, settings.log_json, service="gateway")
    if args.print_settings:
        for name, value in settings.masked().items():
            print(f"{name} = {value}")
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    from gateway.db.database import Database
    from gateway.settings import Settings
    from observability.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_json, service="gateway")

    async def upgrade() -> list[str]:
        db = Database(settings.database_url)
        try:
            return await db.upgrade()
        finally:
            await db.close()

    applied = asyncio.run(upgrade())
    print(f"applied revisions: {applied}" if applied else "database schema is up to date")
    return 0


def db_revision(args: argparse.Namespace) -> int:
    from alembic.util import CommandError

    from gateway.db.database import Database
    from gateway.settings import Settings
    from observability.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_json, service="gateway")

    async def revision() -> Path:
        db = Database(settings.database_url)
        try:
            return await db.new_revision(args.message, empty=args.empty)
        finally:
            await db.close()

    try:
        path = asyncio.run(revision())
    except CommandError as exc:  # e.g. the database is behind: upgrade it first
        print(f"cryptopilot db revision: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}: review it, then `cryptopilot db upgrade`")
    return 0


def user_create(args: argparse.Namespace) -> int:
    from gateway.errors import ApiError
    from gateway.settings import Settings
    from gateway.usercli import create_user

    settings = Settings.from_env()
    try:
        user_id = asyncio.run(
            create_user(settings, args.email, args.password, args.name, admin=args.admin)
        )
    except ApiError as exc:
        print(f"cryptopilot user create: {exc.message}", file=sys.stderr)
        return 1
    role = "admin" if args.admin else "user"
    print(f"created {role} {args.email.lower()} (id {user_id})")
    return 0
