"""Status of one bot.

GET /bots/{bot_id}
-> 200 {"success": true, "bot": {"bot_id", "owner", "state", "desired", "busy", "pid",
        "api_port", "api": {"url", "username", "password"}, "uptime_s", "restarts",
        "last_exit", "fatal_reason", "memory": {"rss_bytes", "pss_bytes"} | null,
        "folder", "spec": {...}}}
-> 404 BOT_NOT_FOUND | 422 INVALID_BOT_ID
`busy` is the command waiting for the bot to stop ("stopping", "restarting", "removing"), or
null; while it is set, changes to the bot answer 409 BOT_STOPPING or BOT_BUSY.
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    bot = await request.app[POOL].status(request.match_info["bot_id"])
    return web.json_response({"success": True, "bot": bot})
