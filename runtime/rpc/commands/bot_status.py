"""Status of one bot.

GET /bots/{bot_id}
-> 200 {"success": true, "bot": {"bot_id", "owner", "state", "desired", "busy", "pid",
        "api_port", "api": {"url", "username", "password"}, "uptime_s", "restarts",
        "last_exit", "fatal_reason", "memory": {"rss_bytes", "pss_bytes"} | null,
        "folder", "spec": {...},
        "strategy_version": {"commit", "version"} | null,
        "strategy_applied": "reload" | "restart" | null,
        "strategy_applied_at": "2026-01-01T12:00:00+00:00" | null}}
-> 404 BOT_NOT_FOUND | 422 INVALID_BOT_ID
`busy` is the command the bot is in the middle of ("stopping", "restarting", "removing",
"reloading"), or null; while it is set, changes to the bot answer 409 BOT_STOPPING or
BOT_BUSY. `strategy_version` null: the bot runs the shipped `strategies/`. `strategy_applied`
says how the last deploy reached the running bot (null before one, or after a deploy that
was only stored).
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    bot = await request.app[POOL].status(request.match_info["bot_id"])
    return web.json_response({"success": True, "bot": bot})
