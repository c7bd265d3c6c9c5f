"""Trade sync into the gateway's database: run a pass now, or read the state (docs/sync.md).

POST /sync            (no body)  runs one pass over every bot, then answers the state
GET  /sync            answers the state without a pass
-> 200 {"success": true, "enabled", "pool_id", "interval", "last_pass_at",
        "target": {"ok", "failures", "last_error", "retry_in"},
        "bots": [{"bot_id", "last_trade_id", "last_order_id", "last_lock_id", "last_change_at",
                  "last_synced_at", "seconds_since_sync", "lag_seconds", "trades", "orders",
                  "pending_rows", "journal_mode", "last_error", "error_count"}]}
-> 409 SYNC_OFF (no `sync_database_url` set; GET then answers {"enabled": false})
"""

from __future__ import annotations

from aiohttp import web

from runtime.errors import Conflict
from runtime.sync.worker import SyncWorker

SYNC = web.AppKey("sync", SyncWorker)


async def run(request: web.Request) -> web.Response:
    worker = request.app.get(SYNC)
    if worker is None:
        raise Conflict("trade sync is off (no sync_database_url)", "SYNC_OFF")
    return web.json_response({"success": True, **await worker.sync_now()})


async def state(request: web.Request) -> web.Response:
    worker = request.app.get(SYNC)
    if worker is None:
        return web.json_response({"success": True, "enabled": False})
    return web.json_response({"success": True, **worker.status()})
