"""The control API's application factory: routes, middlewares, the pool's lifetime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from runtime.analytics import PoolAnalytics
from runtime.backup.replicator import Replicator
from runtime.exchange import ExchangeSpec
from runtime.pool import Pool
from runtime.process import ForkserverLauncher, Launcher
from runtime.rpc import botproxy, middleware
from runtime.rpc.commands import (
    add_bot,
    backup_status,
    bot_logs,
    bot_status,
    bot_summaries,
    list_bots,
    metrics,
    pool_health,
    remove_bot,
    restart_bot,
    start_bot,
    stop_bot,
    sync_now,
    update_bot,
)
from runtime.rpc.keys import ANALYTICS, POOL, SETTINGS
from runtime.settings import PoolSettings
from runtime.spec import MAX_STRATEGY_TREE_BYTES
from runtime.sync.reader import Row
from runtime.sync.worker import SyncWorker

logger = logging.getLogger(__name__)

# A bot's spec with a strategy version's whole tree, JSON-escaped (quotes, newlines).
MAX_BODY_BYTES = 2 * MAX_STRATEGY_TREE_BYTES


def create_app(settings: PoolSettings, launcher: Launcher | None = None) -> web.Application:
    """The supervisor as an aiohttp app; the pool opens and closes with it."""
    app = web.Application(
        middlewares=[middleware.context, middleware.errors, middleware.auth],
        client_max_size=MAX_BODY_BYTES,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_pool_context(launcher))
    app.router.add_post("/bots", add_bot.handle)
    app.router.add_get("/bots", list_bots.handle)
    app.router.add_get("/bots/{bot_id}", bot_status.handle)
    app.router.add_get("/bots/{bot_id}/logs", bot_logs.handle)
    app.router.add_patch("/bots/{bot_id}", update_bot.handle)
    app.router.add_delete("/bots/{bot_id}", remove_bot.handle)
    app.router.add_post("/bots/{bot_id}/start", start_bot.handle)
    app.router.add_post("/bots/{bot_id}/stop", stop_bot.handle)
    app.router.add_post("/bots/{bot_id}/restart", restart_bot.handle)
    app.router.add_get("/summaries", bot_summaries.handle)
    app.router.add_get("/health", pool_health.handle)
    app.router.add_get("/metrics", metrics.handle)
    app.router.add_post("/sync", sync_now.run)
    app.router.add_get("/sync", sync_now.state)
    app.router.add_get("/backup", backup_status.handle)
    app.cleanup_ctx.append(botproxy.http_session)
    app.router.add_route("*", botproxy.PATH, botproxy.handle, name=botproxy.ROUTE_NAME)
    if settings.turso_url:
        app[backup_status.BACKUP] = _replicator(app, settings)
    if settings.sync_database_url.get_secret_value():
        app[sync_now.SYNC] = _sync_worker(app, settings)
    return app


def _sync_worker(app: web.Application, settings: PoolSettings) -> SyncWorker:
    """The trade-sync worker over this app's pool (its loop is run by the supervisor)."""

    def bot_files() -> list[tuple[str, Path]]:
        pool = app.get(POOL)
        if pool is None:  # not open yet, or already closed
            return []
        return [(bot.record.spec.bot_id, bot.paths.database) for bot in pool.bots()]

    def closed(bot_id: str, trades: list[Row]) -> None:
        # The sync is the one place that sees each close once (the cursor it commits).
        pool, analytics = app.get(POOL), app.get(ANALYTICS)
        if pool is None or analytics is None:
            return
        owner = next(
            (b.record.spec.owner for b in pool.bots() if b.record.spec.bot_id == bot_id), None
        )
        if owner is not None:
            for trade in trades:
                analytics.trade_closed(owner, bot_id, trade)

    worker = SyncWorker(
        settings.sync_database_url.get_secret_value(),
        settings.pool_id,
        bot_files,
        settings.sync_interval,
        on_closed=closed,
    )

    async def close(_: web.Application) -> None:
        await worker.close()

    app.on_cleanup.append(close)
    return worker


def _replicator(app: web.Application, settings: PoolSettings) -> Replicator:
    """The Turso backup of this app's bots (its loop is run by the supervisor)."""

    def bot_files() -> dict[str, Path]:
        pool = app.get(POOL)
        if pool is None:  # not open yet, or already closed
            return {}
        return {bot.record.spec.bot_id: bot.paths.database for bot in pool.bots()}

    replicator = Replicator(
        settings.turso_url,
        settings.turso_auth_token.get_secret_value(),
        settings.pool_id,
        bot_files,
        interval=settings.turso_interval,
    )

    async def close(_: web.Application) -> None:
        await replicator.close()

    app.on_cleanup.append(close)
    return replicator


def _pool_context(launcher: Launcher | None):  # type: ignore[no-untyped-def]
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        real = launcher
        if real is None:
            forkserver = ForkserverLauncher(ExchangeSpec.of(settings), ksm=settings.ksm)
            # Blocks ~2-3 s while the forkserver imports FreqTrade: keep the loop free.
            await asyncio.to_thread(forkserver.warm_up)
            real = forkserver
        analytics = PoolAnalytics.from_settings(settings)
        app[ANALYTICS] = analytics
        pool = Pool(settings, real, events=analytics)
        await pool.open()
        app[POOL] = pool
        yield
        await pool.close()
        await asyncio.to_thread(analytics.close)  # at most 2 s, whatever PostHog does

    return context
