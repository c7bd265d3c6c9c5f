"""Stop a bot: SIGTERM, grace period, SIGKILL; answers once it is stopped.

POST /bots/{bot_id}/stop
-> 200 {"success": true, "bot": {<status, state "stopped">}}
-> 404 BOT_NOT_FOUND | 409 BOT_NOT_RUNNING, BOT_STOPPING, BOT_BUSY
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    bot = await request.app[POOL].stop(request.match_info["bot_id"])
    return web.json_response({"success": True, "bot": bot})
