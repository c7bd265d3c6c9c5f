"""Prometheus metrics of the pool (same bearer token as the rest; docs/metrics.md).

GET /metrics
-> 200 text/plain; version=0.0.4  (cryptopilot_pool_* and cryptopilot_bot_* gauges, counters
   and the hot-add histogram; trade-sync lag and failures when sync is on; per-bot backup lag
   and health when Turso backup is on; the bots' loop heartbeats)
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from runtime.backup.metrics import BackupCollector
from runtime.loop_metrics import LivenessCollector
from runtime.metrics import ScrapeSources, registry_for
from runtime.rpc.commands.backup_status import BACKUP
from runtime.rpc.commands.sync_now import SYNC
from runtime.rpc.keys import POOL, SETTINGS
from runtime.sync.metrics import SyncCollector


async def handle(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    sources = ScrapeSources(memory_limit_setting=request.app[SETTINGS].memory_limit_bytes)
    snapshot = await pool.snapshot()
    registry = registry_for(snapshot, pool.metrics, sources)
    registry.register(LivenessCollector(snapshot))
    replicator = request.app.get(BACKUP)
    if replicator is not None:
        registry.register(BackupCollector(replicator))
    worker = request.app.get(SYNC)
    if worker is not None:
        registry.register(SyncCollector(worker))
    body = await asyncio.to_thread(generate_latest, registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
