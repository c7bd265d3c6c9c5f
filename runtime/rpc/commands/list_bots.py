"""Status of every bot of the pool, sorted by id.

GET /bots
-> 200 {"success": true, "bots": [{<status>}, ...]}
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    bots = await asyncio.to_thread(request.app[POOL].list_bots)
    return web.json_response({"success": True, "bots": bots})
