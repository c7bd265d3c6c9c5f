"""Change a bot's dry-run wallet, stake or config overrides; a live bot restarts to apply.

PATCH /bots/{bot_id}[?restart=false]
{"dry_run_wallet": 2000, "stake_amount": 50, "max_open_trades": 2,
 "config_overrides": {"minimal_roi": {"0": 0.01}}}          (any non-empty subset)
-> 200 {"success": true, "bot": {<status>}, "restarted": true}
-> 400 BAD_REQUEST | 422 UNKNOWN_FIELD, INVALID_FIELD, FORBIDDEN_OVERRIDE
   | 404 BOT_NOT_FOUND | 409 BOT_STOPPING, BOT_BUSY

`restart=false` only stores the spec: the bot keeps running as it is and starts with the new
spec next time (a crash restart, a start). The gateway uses it to record a pause it already
gave the bot through the bot's own API.
"""

from __future__ import annotations

from aiohttp import web

from runtime.errors import InvalidInput
from runtime.rpc.keys import POOL
from runtime.rpc.middleware import json_body

FLAGS = {"true": True, "1": True, "false": False, "0": False}


async def handle(request: web.Request) -> web.Response:
    body = await json_body(request)
    flag = request.query.get("restart", "true").lower()
    if flag not in FLAGS:
        raise InvalidInput("restart must be true or false", "INVALID_FIELD")
    result = await request.app[POOL].update(request.match_info["bot_id"], body, restart=FLAGS[flag])
    return web.json_response({"success": True, **result})
