"""`cryptopilot pool run`: serve the control API until SIGTERM/SIGINT, then stop bots."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from observability.logs import configure_logging
from runtime.announce import Announcer
from runtime.rpc.app import create_app
from runtime.rpc.commands.backup_status import BACKUP
from runtime.rpc.commands.sync_now import SYNC
from runtime.settings import PoolSettings

logger = logging.getLogger(__name__)


async def serve(settings: PoolSettings) -> None:
    """Run the app until a stop signal; the cleanup context stops the bots gracefully.

    With `gateway_url` set, the pool announces itself once its control API listens; with
    `sync_database_url` set, it copies its bots' trades there (runtime/sync/); with
    `turso_url` set, it backs up each bot's SQLite to Turso (runtime/backup/).
    """
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    background: list[asyncio.Task[None]] = []
    try:
        site = web.TCPSite(runner, settings.control_host, settings.control_port)
        await site.start()
        logger.info(
            "pool %s control API on http://%s:%d",
            settings.pool_id,
            settings.control_host,
            settings.control_port,
        )
        if settings.gateway_url:
            background.append(asyncio.create_task(Announcer(settings).run(), name="announce"))
        worker = app.get(SYNC)
        if worker is not None:
            background.append(asyncio.create_task(worker.run(), name="trade-sync"))
        replicator = app.get(BACKUP)
        if replicator is not None:
            background.append(asyncio.create_task(replicator.run(), name="turso-backup"))
        await stop.wait()
        logger.info("stop signal: stopping bots")
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await runner.cleanup()


def run_supervisor(settings: PoolSettings) -> int:
    configure_logging(settings.log_level, settings.log_json, service="pool", pool=settings.pool_id)
    logger.info("settings: %s", settings.masked())
    asyncio.run(serve(settings))
    return 0
