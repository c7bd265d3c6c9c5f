"""Status of every bot of the pool, sorted by id.

GET /bots
-> 200 {"success": true, "bots": [{<status>}, ...]}
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    bots = await request.app[POOL].list_bots()
    return web.json_response({"success": True, "bots": bots})
