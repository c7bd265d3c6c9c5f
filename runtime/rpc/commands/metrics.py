"""Prometheus metrics of the pool (same bearer token as the rest).

GET /metrics
-> 200 text/plain; version=0.0.4  (cryptopilot_pool_* gauges and counters; per-bot backup
   lag and health when Turso backup is on; cryptopilot_bot_* loop heartbeats)
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from runtime.backup.metrics import BackupCollector
from runtime.loop_metrics import LivenessCollector
from runtime.metrics import registry_for
from runtime.rpc.commands.backup_status import BACKUP
from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    snapshot = await request.app[POOL].snapshot()
    registry = registry_for(snapshot)
    registry.register(LivenessCollector(snapshot))
    replicator = request.app.get(BACKUP)
    if replicator is not None:
        registry.register(BackupCollector(replicator))
    body = await asyncio.to_thread(generate_latest, registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
