"""Remove a bot: stop it gracefully, free its port, delete (or archive) its folder.

DELETE /bots/{bot_id}[?keep_data=true]
-> 200 {"success": true, "bot_id": "alice-1", "removed": true, "archived_to": null}
-> 404 BOT_NOT_FOUND | 409 BOT_STOPPING, BOT_BUSY
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    keep = request.query.get("keep_data", "").lower() in {"1", "true", "yes"}
    result = await request.app[POOL].remove(request.match_info["bot_id"], keep_data=keep)
    return web.json_response({"success": True, **result})
