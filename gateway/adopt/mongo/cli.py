"""`cryptopilot migrate mongo`: import the old MongoDB data (dump folder or live database).

Exit status: 0 done (bad documents are reported, not fatal), 1 verification found a mismatch,
2 the command could not run (no source, unreachable or out-of-date database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.adopt.mongo.mapping import Plan

# Heavy imports (SQLAlchemy, bson, pymongo) stay inside the handler so `--help` is fast.


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `migrate mongo` to the `cryptopilot` parser."""
    migrate = subparsers.add_parser("migrate", help="import data from the old platform")
    commands = migrate.add_subparsers(dest="migrate_command", required=True, metavar="SOURCE")
    mongo = commands.add_parser(
        "mongo",
        help="import users, wallets and snapshots from the old MongoDB",
        description="See docs/migrate-from-mongo.md for the full runbook.",
    )
    source = mongo.add_mutually_exclusive_group(required=True)
    source.add_argument("--dump", type=Path, help="mongodump (BSON) or mongoexport (JSON) folder")
    source.add_argument("--mongo-uri", help="read a live MongoDB instead (needs --mongo-db)")
    mongo.add_argument("--mongo-db", help="database name for --mongo-uri")
    mongo.add_argument(
        "--database-url",
        default=None,
        help="target database (default: CRYPTOPILOT_DATABASE_URL or the settings default)",
    )
    mode = mongo.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="read and map only, write nothing")
    mode.add_argument("--verify-only", action="store_true", help="only compare source and target")
    mongo.set_defaults(func=run_mongo)


def run_mongo(args: argparse.Namespace) -> int:
    from gateway.adopt.mongo import mapping, reader
    from gateway.adopt.mongo.importer import dry_run
    from gateway.services.common import utcnow

    if args.mongo_uri and not args.mongo_db:
        print("cryptopilot migrate mongo: --mongo-uri needs --mongo-db", file=sys.stderr)
        return 2
    try:
        if args.dump is not None:
            source = reader.read_dump(args.dump)
        else:
            source = reader.read_live(args.mongo_uri, args.mongo_db)
    except (OSError, ValueError) as exc:
        print(f"cryptopilot migrate mongo: cannot read the source: {exc}", file=sys.stderr)
        return 2
    print(f"read {len(source.files)} collection file(s): " + ", ".join(source.files))
    plan = mapping.plan(source, now=utcnow())
    if args.dry_run:
        print(dry_run(plan).render())
        return 0
    return asyncio.run(_write(args, plan))


async def _write(args: argparse.Namespace, plan: Plan) -> int:
    from gateway.adopt.mongo.importer import Importer
    from gateway.adopt.mongo.verify import verify
    from gateway.db.database import Database
    from gateway.settings import Settings

    url = args.database_url or os.environ.get("CRYPTOPILOT_DATABASE_URL") or Settings().database_url
    db = Database(url)
    try:
        try:
            current = await db.schema_is_current()
        except Exception as exc:  # any connection failure: say so and stop
            print(f"cryptopilot migrate mongo: database unreachable: {exc}", file=sys.stderr)
            return 2
        if not current:
            print(
                f"cryptopilot migrate mongo: {db.describe()} is not up to date; "
                "run `cryptopilot db upgrade` first",
                file=sys.stderr,
            )
            return 2
        if not args.verify_only:
            print((await Importer(db).run(plan)).render())
            print()
        result = await verify(db, plan)
        print(result.render())
        return 0 if result.ok else 1
    finally:
        await db.close()
