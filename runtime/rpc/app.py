"""The control API's application factory: routes, middlewares, the pool's lifetime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from runtime.pool import Pool
from runtime.process import ForkserverLauncher, Launcher
from runtime.rpc import middleware
from runtime.rpc.commands import (
    add_bot,
    bot_status,
    list_bots,
    metrics,
    pool_health,
    remove_bot,
    restart_bot,
    start_bot,
    stop_bot,
    update_bot,
)
from runtime.rpc.keys import POOL, SETTINGS
from runtime.settings import PoolSettings

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


def create_app(settings: PoolSettings, launcher: Launcher | None = None) -> web.Application:
    """The supervisor as an aiohttp app; the pool opens and closes with it."""
    app = web.Application(
        middlewares=[middleware.errors, middleware.auth], client_max_size=MAX_BODY_BYTES
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_pool_context(launcher))
    app.router.add_post("/bots", add_bot.handle)
    app.router.add_get("/bots", list_bots.handle)
    app.router.add_get("/bots/{bot_id}", bot_status.handle)
    app.router.add_patch("/bots/{bot_id}", update_bot.handle)
    app.router.add_delete("/bots/{bot_id}", remove_bot.handle)
    app.router.add_post("/bots/{bot_id}/start", start_bot.handle)
    app.router.add_post("/bots/{bot_id}/stop", stop_bot.handle)
    app.router.add_post("/bots/{bot_id}/restart", restart_bot.handle)
    app.router.add_get("/health", pool_health.handle)
    app.router.add_get("/metrics", metrics.handle)
    return app


def _pool_context(launcher: Launcher | None):  # type: ignore[no-untyped-def]
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        real = launcher
        if real is None:
            forkserver = ForkserverLauncher()
            # Blocks ~2-3 s while the forkserver imports FreqTrade: keep the loop free.
            await asyncio.to_thread(forkserver.warm_up)
            real = forkserver
        pool = Pool(settings, real)
        await pool.open()
        app[POOL] = pool
        yield
        await pool.close()

    return context
