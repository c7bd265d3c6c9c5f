"""Prometheus' side of the gateway: `/metrics` and the pools' HTTP service discovery.

`/metrics` is open unless `CRYPTOPILOT_METRICS_TOKEN` is set; the discovery wants that token
or an admin's token (the auth middleware checks both, `Access.SCRAPE`/`Access.MONITORING`).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from gateway.handlers.common import reply, services
from gateway.handlers.strategies import SOCKET_PATH
from gateway.keys import METRICS
from gateway.metrics import Scrape
from gateway.models.pools import ScrapeTargetGroup
from gateway.routing import Access, Route
from gateway.services.platform_state import PlatformReading
from gateway.services.pools.discovery import scrape_targets

logger = logging.getLogger(__name__)

# A scrape must answer even when the database hangs: its gauges are then left out.
DATABASE_TIMEOUT_S = 2.0


async def metrics(request: web.Request) -> web.Response:
    found = services(request)
    scrape = Scrape(
        sse_clients=found.stream.open_streams(),
        websocket_clients={SOCKET_PATH: found.strategies.watch.clients()},
        platform=await _platform(request),
    )
    body = request.app[METRICS].render(scrape)
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


async def _platform(request: web.Request) -> PlatformReading | None:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S):
            return await services(request).platform.read()
    except (DBAPIError, OSError, TimeoutError) as exc:
        logger.warning("metrics without database gauges: %r", exc)
        return None


async def prometheus_pools(request: web.Request) -> web.Response:
    records = await services(request).pools.list()
    payload: list[ScrapeTargetGroup] = [
        {
            "targets": [target.address],
            "labels": {
                "pool": target.pool_id,
                "__scheme__": target.scheme,
                "__metrics_path__": target.metrics_path,
            },
        }
        for target in scrape_targets(records)
    ]
    return reply(payload)


ROUTES = [
    Route("GET", "/metrics", metrics, Access.SCRAPE,
          "Prometheus metrics (Bearer CRYPTOPILOT_METRICS_TOKEN when set)", None,
          rate_group=None, content_type="text/plain", tag="ops"),
    Route("GET", "/api/internal/prometheus/pools", prometheus_pools, Access.MONITORING,
          "Prometheus HTTP service discovery: one target group per registered pool "
          "(metrics token or admin)", list[ScrapeTargetGroup], rate_group=None, tag="ops"),
]  # fmt: skip
