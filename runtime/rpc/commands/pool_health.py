"""Pool health: capacity, free slots, bots by state, memory.

GET /health
-> 200 {"success": true, "pool_id", "accepting", "capacity", "bots", "free_slots",
        "states": {"running": 3, ...}, "memory": {"supervisor_pss_bytes",
        "forkserver_pss_bytes", "bots_pss_bytes", "total_pss_bytes",
        "host_available_bytes", "ksm": {"bots_mergeable", "bots_merged_bytes",
        "host": {"running", "pages_to_scan", "sleep_ms", "full_scans", "saved_bytes"} | null}},
        "forkserver_pid", "uptime_s"}
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    health = await request.app[POOL].health()
    return web.json_response({"success": True, **health})
