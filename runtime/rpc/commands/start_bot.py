"""Start a stopped (or fatal) bot.

POST /bots/{bot_id}/start
-> 200 {"success": true, "bot": {<status, state "starting">}}
-> 404 BOT_NOT_FOUND | 409 BOT_ALREADY_RUNNING, BOT_STOPPING, BOT_BUSY
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    bot = await request.app[POOL].start(request.match_info["bot_id"])
    return web.json_response({"success": True, "bot": bot})
