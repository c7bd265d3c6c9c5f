"""Add a bot and start it.

POST /bots
{"bot_id": "alice-1", "owner": "alice", "strategy": "SandboxScalp1m",
 "pairs": ["BTC/USDT"], "stake_currency": "USDT", "dry_run_wallet": 1000,
 "stake_amount": "unlimited", "max_open_trades": 3, "timeframe": null,
 "config_overrides": {}, "import_database": "/abs/path/tradesv3.sqlite",
 "strategy_version": {"commit": "<40 hex>", "version": 3,
                      "files": {"sandbox_scalp_1m.py": "<source>", "lib/base.py": "..."}}}
`import_database` (optional) is copied into the new bot's folder as its trade database
before the first start (adopting an old bot); it is not stored in the spec.
`strategy_version` (optional; null or absent = the shipped `strategies/`) is the store's
whole tree at that commit: written once per commit to `<data dir>/strategies/<commit>/`
(read-only), the bot's `strategy_path`; only `{"commit", "version"}` is stored. `strategy`
must be defined in a top-level file of it. Limits: 500 files, 1 MiB each, 4 MiB in all.
-> 201 {"success": true, "bot": {<status, state "starting">}}
-> 400 BAD_REQUEST | 413 STRATEGY_TOO_LARGE, BODY_TOO_LARGE
   | 422 MISSING_FIELD, INVALID_FIELD, INVALID_BOT_ID, INVALID_PAIR, UNKNOWN_PAIR,
   UNKNOWN_STRATEGY, UNKNOWN_FIELD, FORBIDDEN_OVERRIDE, INVALID_IMPORT_DATABASE,
   INVALID_STRATEGY_VERSION, INVALID_STRATEGY_FILE
   | 409 BOT_EXISTS, POOL_FULL, NO_FREE_PORT, BOT_FOLDER_EXISTS
"""

from __future__ import annotations

from aiohttp import web

from runtime.rpc.keys import POOL
from runtime.rpc.middleware import json_body


async def handle(request: web.Request) -> web.Response:
    bot = await request.app[POOL].add(await json_body(request))
    return web.json_response({"success": True, "bot": bot}, status=201)
