"""Turso backup state of every bot of the pool (docs/turso.md).

GET /backup
-> 200 {"success": true, "enabled", "url", "interval_s", "degraded",
        "bots": [{"bot_id", "status": "ok"|"pending"|"degraded"|"no_database",
                  "last_success", "last_attempt", "lag_s", "last_error",
                  "consecutive_failures", "next_attempt_in_s", "rows_sent", "passes"}]}
   ({"success": true, "enabled": false, "bots": []} when no `turso_url` is set)
"""

from __future__ import annotations

from aiohttp import web

from runtime.backup.replicator import Replicator

BACKUP = web.AppKey("backup", Replicator)


async def handle(request: web.Request) -> web.Response:
    replicator = request.app.get(BACKUP)
    if replicator is None:
        return web.json_response({"success": True, "enabled": False, "bots": []})
    return web.json_response({"success": True, **replicator.status()})
