"""Prometheus metrics of the pool (same bearer token as the rest).

GET /metrics
-> 200 text/plain; version=0.0.4  (cryptopilot_pool_* gauges and counters)
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from runtime.metrics import registry_for
from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    registry = registry_for(request.app[POOL])
    body = await asyncio.to_thread(generate_latest, registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
