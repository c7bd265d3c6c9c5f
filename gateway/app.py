"""`create_app(settings)`: the aiohttp application with its resources, middlewares and routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from sqlalchemy.exc import DBAPIError

from gateway.auth.firebase import FirebaseVerifier
from gateway.background import background_loops, close_streams
from gateway.db.database import Database
from gateway.handlers import (
    account,
    admin,
    auth,
    bots,
    diagnostics,
    funding,
    markets,
    monitoring,
    pools,
    portfolio,
    proxy,
    risk,
    strategies,
    strategy_admin,
    stream,
    trades,
    wallet,
)
from gateway.keys import ANALYTICS, DB, FIREBASE, METRICS, RATE_LIMITER, SERVICES, SETTINGS
from gateway.metrics import GatewayMetrics
from gateway.middleware.auth import auth_middleware
from gateway.middleware.cors import add_cors_headers, cors_middleware
from gateway.middleware.errors import error_middleware
from gateway.middleware.observe import add_request_id_header, observe_middleware
from gateway.middleware.ratelimit import ratelimit_middleware
from gateway.openapi import OPENAPI_DOCUMENT, build_openapi
from gateway.ratelimit import FixedWindowLimiter, RateLimiter
from gateway.ratelimit_redis import RedisLimiter, describe_url
from gateway.routing import all_routes, register
from gateway.services.common import Clock, utcnow
from gateway.services.container import build_services
from gateway.settings import Settings
from gateway.webapp import load_webapp, webapp_middleware
from observability.analytics import Analytics, DroppedEventsCollector
from runtime.botconfig import strategies_dir

logger = logging.getLogger(__name__)

ROUTE_MODULES = (
    auth,
    account,
    admin,
    diagnostics,
    wallet,
    funding,
    bots,
    markets,
    monitoring,
    pools,
    portfolio,
    proxy,
    risk,
    strategies,
    strategy_admin,
    stream,
    trades,
)
MAX_BODY_BYTES = 1024 * 1024


def create_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    rate_limiter: RateLimiter | None = None,
) -> web.Application:
    """Build the gateway; resources open on start-up and close on clean-up."""
    middlewares: list[Middleware] = [
        observe_middleware,  # outermost: request id, access log, metrics
        cors_middleware,  # preflights never reach auth or rate limits
        error_middleware,  # everything inside becomes contract JSON
        auth_middleware,
        ratelimit_middleware,  # after auth: limits are per user when known
    ]
    webapp = load_webapp(settings.web_dir, settings.firebase_auth_emulator_host)
    if webapp is not None:
        # Inside the error middleware, before auth: only paths no route matched reach it.
        middlewares.insert(3, webapp_middleware(webapp))
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[METRICS] = GatewayMetrics()
    for module in ROUTE_MODULES:
        register(app, module.ROUTES)
    app[OPENAPI_DOCUMENT] = build_openapi(all_routes(app))
    app.on_response_prepare.append(add_request_id_header)
    app.on_response_prepare.append(add_cors_headers)
    app.cleanup_ctx.append(_rate_limiter(rate_limiter))
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_firebase)
    app.cleanup_ctx.append(_analytics)  # before the services: closed after them
    app.cleanup_ctx.append(_services(clock))
    app.cleanup_ctx.append(background_loops)
    app.on_shutdown.append(close_streams)
    return app


def _rate_limiter(given: RateLimiter | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def rate_limiter_ctx(app: web.Application) -> AsyncIterator[None]:
        url = app[SETTINGS].redis_url.get_secret_value()
        if given is not None or not url:
            app[RATE_LIMITER] = given or FixedWindowLimiter()
            yield
            return
        limiter = RedisLimiter.from_url(url, on_error=app[METRICS].ratelimit_backend_error)
        logger.info("rate limits shared by the replicas in Redis at %s", describe_url(url))
        if not await limiter.ping():
            logger.warning("Redis not reachable at start-up: rate limits per replica until it is")
        app[RATE_LIMITER] = limiter
        try:
            yield
        finally:
            await limiter.close()

    return rate_limiter_ctx


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    db = Database(settings.database_url)
    logger.info("database %s", db.describe())
    if settings.auto_migrate and not settings.is_production:
        applied = await db.upgrade()
        if applied:
            logger.info("applied schema revisions %s", applied)
    else:
        await _warn_if_outdated(db)
    app[DB] = db
    yield
    await db.close()


async def _warn_if_outdated(db: Database) -> None:
    # The gateway still starts when the database is down; /api/ready reports it.
    try:
        if not await db.schema_is_current():
            logger.error("database schema is behind: run `cryptopilot db upgrade`")
    except (DBAPIError, OSError) as exc:
        logger.error("database not reachable at start-up: %s", exc)


async def _firebase(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    verifier = FirebaseVerifier(
        settings.firebase_project_id,
        emulator_host=settings.firebase_auth_emulator_host or None,
        certs_url=settings.firebase_certs_url,
        http_timeout=settings.firebase_http_timeout,
    )
    app[FIREBASE] = verifier
    yield
    await verifier.close()


async def _analytics(app: web.Application) -> AsyncIterator[None]:
    """PostHog product events (off without a key); their losses are a metric."""
    settings = app[SETTINGS]
    analytics = Analytics(
        settings.posthog_key.get_secret_value(), settings.posthog_host, service="gateway"
    )
    app[ANALYTICS] = analytics
    app[METRICS].registry.register(DroppedEventsCollector(analytics))
    yield
    await asyncio.to_thread(analytics.close)  # at most 2 s, whatever PostHog does


def _services(clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        services = build_services(
            app[SETTINGS], app[DB], app[FIREBASE], clock, app[ANALYTICS], recorder=app[METRICS]
        )
        app[SERVICES] = services
        await services.strategies.start(strategies_dir())
        try:
            await services.pools.start()
        except (DBAPIError, OSError) as exc:
            logger.error("pools not loaded (database down?): %s; the health loop retries", exc)
        try:
            yield
        finally:
            await services.close()

    return services_ctx
