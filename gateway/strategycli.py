"""`cryptopilot strategies …`: the strategy store's admin API as commands on the gateway host.

Each command runs the same services as the admin routes, with the gateway's settings
(CRYPTOPILOT_* environment): the same repository, database and pools. A running gateway sees
the commits within its watch interval (`CRYPTOPILOT_STRATEGY_WATCH_INTERVAL`). Writes name the
admin they are made as (`--admin EMAIL`: the commit's author). Heavy imports stay inside the
handlers so `--help` is fast.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.services.strategies.gitrepo import Author
    from gateway.services.strategies.service import DeployOutcome, StrategyService

PROG = "cryptopilot strategies"
Command = Callable[["StrategyService", argparse.Namespace], Awaitable[int]]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `strategies list|versions|show|diff|upload|validate|deploy|rollback|import`."""
    parser = subparsers.add_parser("strategies", help="the strategy store (docs/strategies.md)")
    commands = parser.add_subparsers(dest="strategies_command", required=True, metavar="ACTION")

    def add(name: str, help_text: str, run: Command) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=lambda args: _main(run, args))
        return command

    add("list", "published strategies, their latest and default versions", _list)
    versions = add("versions", "a strategy's versions (commit, author, message)", _versions)
    versions.add_argument("strategy", help="class name")
    show = add("show", "one version's source and validation report", _show)
    show.add_argument("strategy")
    show.add_argument("--version", type=int, default=None, help="default: the latest")
    diff = add("diff", "unified diff between two versions", _diff)
    diff.add_argument("strategy")
    diff.add_argument("old", type=int)
    diff.add_argument("new", type=int)
    for name, help_text, run in (
        ("upload", "validate a file and publish it as a new version", _upload),
        ("validate", "validate a file against the store without publishing it", _validate),
    ):
        command = add(name, help_text, run)
        command.add_argument("file", type=Path, help="the strategy file (its name in the store)")
        command.add_argument("--message", "-m", default="", help="the commit message")
        command.add_argument("--admin", default="", help="e-mail of the admin making the change")
        command.add_argument(
            "--meta", default="{}", help='metadata as JSON, e.g. \'{"riskLevel":"high"}\''
        )
    deploy = add("deploy", "deploy a version to a bot, every bot on it and/or as default", _deploy)
    deploy.add_argument("strategy")
    deploy.add_argument("--version", type=int, default=None, help="default: the latest")
    deploy.add_argument("--bot", default=None, help="one bot id")
    deploy.add_argument("--all-bots", action="store_true", help="every bot on the strategy")
    deploy.add_argument("--default", action="store_true", help="the version new bots get")
    deploy.add_argument("--admin", required=True, help="e-mail of the admin deploying")
    rollback = add(
        "rollback", "make an earlier version the default and run it on its bots", _rollback
    )
    rollback.add_argument("strategy")
    rollback.add_argument("version", type=int)
    rollback.add_argument("--admin", required=True, help="e-mail of the admin rolling back")
    imported = add("import", "import a folder of FreqTrade strategy files", _import)
    imported.add_argument("folder", type=Path)
    imported.add_argument("--admin", required=True, help="e-mail of the admin importing")


def _main(run: Command, args: argparse.Namespace) -> int:
    from gateway.errors import ApiError
    from gateway.settings import Settings
    from observability.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_json, service="gateway")

    async def go() -> int:
        async with _service(settings) as service:
            return await run(service, args)

    try:
        return asyncio.run(go())
    except ApiError as exc:
        print(f"{PROG}: {exc.message}", file=sys.stderr)
        for key, value in exc.extra.items():
            if key != "report":
                print(json.dumps({key: value}, indent=2), file=sys.stderr)
        return 1


@asynccontextmanager
async def _service(settings: Any) -> AsyncIterator[StrategyService]:
    """The gateway's strategy services on its database, repository and pools."""
    from gateway.db.database import Database
    from gateway.services.common import utcnow
    from gateway.services.container import build_trading
    from runtime.botconfig import strategies_dir

    db = Database(settings.database_url)
    trading = build_trading(settings, db, utcnow)
    try:
        await db.upgrade()
        await trading["pools"].start()
        service: StrategyService = trading["strategies"]
        await service.start(strategies_dir())
        yield service
    finally:
        await trading["pools"].close()
        await trading["bot_api"].close()
        await db.close()


async def _admin(service: StrategyService, email: str) -> Author:
    """The commit author: an existing admin user."""
    from gateway.errors import Forbidden
    from gateway.services.accounts.users import UserStore
    from gateway.services.strategies.gitrepo import Author

    user = await UserStore(service.bots.db).get_by_email(email) if email else None
    if user is None or user.role != "admin":
        raise Forbidden(f"--admin must name an admin user (got {email!r})", "ADMIN_REQUIRED")
    return Author(user.display_name or user.username, user.email)


async def _list(service: StrategyService, args: argparse.Namespace) -> int:
    for meta in await service.store.catalogue():
        default = await service.deployer.default_version(meta.className)
        print(
            f"{meta.className:32} v{meta.version:<4} default v{default.version:<4} "
            f"{meta.fileName:32} {meta.displayName}"
        )
    return 0


async def _versions(service: StrategyService, args: argparse.Namespace) -> int:
    for version in await service.store.versions(args.strategy):
        when, who = version.at, version.author
        print(f"v{version.version:<4} {version.commit[:12]} {when} {who}: {version.message}")
    return 0


async def _show(service: StrategyService, args: argparse.Namespace) -> int:
    version = await service.store.version(args.strategy, args.version)
    print(f"# {args.strategy} v{version.version} ({version.commit}) by {version.author}")
    print(await service.store.source(args.strategy, version.version))
    report = await service.store.report(args.strategy, version.version)
    print(f"# validation report: {json.dumps(report, indent=2)}")
    return 0


async def _diff(service: StrategyService, args: argparse.Namespace) -> int:
    print(await service.store.diff(args.strategy, args.old, args.new), end="")
    return 0


def _change(args: argparse.Namespace) -> Any:
    from gateway.errors import BadInput
    from gateway.models.schema import validate
    from gateway.models.strategies import MetadataEdit
    from gateway.services.strategies.store import Change

    try:
        metadata = json.loads(args.meta)
    except json.JSONDecodeError:
        raise BadInput("--meta is not JSON", "INVALID_META") from None
    validate(metadata, MetadataEdit)
    source = args.file.read_text(encoding="utf-8")
    message = args.message or f"Upload {args.file.name}"
    return Change(file_name=args.file.name, source=source, message=message, metadata=metadata)


async def _upload(service: StrategyService, args: argparse.Namespace) -> int:
    author = await _admin(service, args.admin)
    for meta in await service.publish(_change(args), author):
        print(f"published {meta.className} v{meta.version} ({meta.fileName})")
    return 0


async def _validate(service: StrategyService, args: argparse.Namespace) -> int:
    reports = await service.store.validate(_change(args))
    print(json.dumps(reports, indent=2))
    return 0 if all(r["passed"] for r in reports) else 1


def _print_outcome(outcome: DeployOutcome) -> int:
    version = outcome.version
    if outcome.default_set:
        print(f"default of {version.strategy} is version {version.version}")
    for done in outcome.bots:
        print(f"{done.message} in {done.seconds:.1f}s")
    return 1 if any(d.rolled_back for d in outcome.bots) else 0


async def _deploy(service: StrategyService, args: argparse.Namespace) -> int:
    from gateway.errors import BadInput
    from gateway.services.strategies.service import DeployTarget

    author = await _admin(service, args.admin)
    target = DeployTarget(bot_id=args.bot, all_bots=args.all_bots, default=args.default)
    if target == DeployTarget():
        raise BadInput("say where: --bot ID, --all-bots and/or --default", "NO_DEPLOY_TARGET")
    return _print_outcome(await service.deploy(args.strategy, args.version, target, author.email))


async def _rollback(service: StrategyService, args: argparse.Namespace) -> int:
    author = await _admin(service, args.admin)
    return _print_outcome(await service.rollback(args.strategy, args.version, author.email))


async def _import(service: StrategyService, args: argparse.Namespace) -> int:
    from gateway.services.strategies.importer import import_folder

    author = await _admin(service, args.admin)
    report = await import_folder(service.store, args.folder, author)
    for name in report.imported:
        print(f"imported   {name}")
    for name in report.bases:
        print(f"base       {name} (used by imported strategies, not one itself)")
    for copy, kept in sorted(report.duplicates.items()):
        print(f"duplicate  {copy} (same bytes as {kept})")
    for path in report.unchanged:
        print(f"unchanged  {path}")
    for path, why in sorted(report.broken.items()):
        print(f"broken     {path}: {why}")
    for name, failed in sorted(report.failed.items()):
        errors = "; ".join(f"{e['kind']}: {e['message']}" for e in failed["errors"])
        print(f"refused    {name}: {errors}")
    print(f"commit     {report.commit or 'none (nothing new)'}")
    return 0
