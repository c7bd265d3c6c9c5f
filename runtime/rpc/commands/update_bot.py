"""Change a bot's dry-run wallet, stake or config overrides; a live bot restarts to apply.

PATCH /bots/{bot_id}
{"dry_run_wallet": 2000, "stake_amount": 50, "max_open_trades": 2,
 "config_overrides": {"minimal_roi": {"0": 0.01}}}          (any non-empty subset)
-> 200 {"success": true, "bot": {<status>}, "restarted": true}
-> 400 BAD_REQUEST | 422 UNKNOWN_FIELD, INVALID_FIELD, FORBIDDEN_OVERRIDE
   | 404 BOT_NOT_FOUND | 409 BOT_STOPPING, BOT_BUSY
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL
from runtime.rpc.middleware import json_body


async def handle(request: web.Request) -> web.Response:
    body = await json_body(request)
    result = await request.app[POOL].update(request.match_info["bot_id"], body)
    return web.json_response({"success": True, **result})
