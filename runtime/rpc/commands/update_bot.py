"""Change a bot's wallet, stake or config overrides, or deploy a strategy to it.

PATCH /bots/{bot_id}[?restart=false]
{"dry_run_wallet": 2000, "stake_amount": 50, "max_open_trades": 2,
 "config_overrides": {"minimal_roi": {"0": 0.01}},
 "strategy": "EmaRsiStrategy",
 "strategy_version": {"commit": "<40 hex>", "version": 4, "files": {...}} | null}
                                                             (any non-empty subset)
-> 200 {"success": true, "bot": {<status>}, "restarted": true,
        "applied": "reload" | "restart" | null, "healthy": true | false | null,
        "apply_s": 3.2 | null}
-> 400 BAD_REQUEST | 413 STRATEGY_TOO_LARGE, BODY_TOO_LARGE
   | 422 UNKNOWN_FIELD, INVALID_FIELD, FORBIDDEN_OVERRIDE, UNKNOWN_STRATEGY,
   INVALID_STRATEGY, INVALID_STRATEGY_VERSION, INVALID_STRATEGY_FILE
   | 404 BOT_NOT_FOUND | 409 BOT_STOPPING, BOT_BUSY, CHECKOUT_MISSING

A live bot applies the change at once. A change of `strategy` and/or `strategy_version` (a
deploy; `strategy_version` as in POST /bots, null = back to the shipped strategies) is
checked first (422 UNKNOWN_STRATEGY leaves the bot as it was), then reaches the running bot
through FreqTrade's own config reload when that runs exactly the new code (only the file
defining the class changed), else by restarting that bot alone; its trade database and open
trades stay. The reply comes once the bot runs the new strategy with a loop done
(`healthy` true) or failed to (`healthy` false: the bot's status shows its state and
`last_exit`; the pool does not roll back, the gateway re-deploys the previous version).
`applied` and `apply_s` say how and in how long; other changes always restart the bot.

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
