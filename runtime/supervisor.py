"""`cryptopilot pool run`: serve the control API until SIGTERM/SIGINT, then stop bots."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from cli.logsetup import configure_logging
from runtime.rpc.app import create_app
from runtime.settings import PoolSettings

logger = logging.getLogger(__name__)


async def serve(settings: PoolSettings) -> None:
    """Run the app until a stop signal; the cleanup context stops the bots gracefully."""
    runner = web.AppRunner(create_app(settings), handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, settings.control_host, settings.control_port)
        await site.start()
        logger.info(
            "pool %s control API on http://%s:%d",
            settings.pool_id,
            settings.control_host,
            settings.control_port,
        )
        await stop.wait()
        logger.info("stop signal: stopping bots")
    finally:
        await runner.cleanup()


def run_supervisor(settings: PoolSettings) -> int:
    configure_logging(settings.log_level, settings.json_logs)
    logger.info("settings: %s", settings.masked())
    asyncio.run(serve(settings))
    return 0
