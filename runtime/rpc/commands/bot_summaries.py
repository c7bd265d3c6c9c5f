"""What the pool's bots hold, as each bot last published it: one call for the whole pool.

GET /summaries?bots=b1,b2&closed=1
-> 200 {"success": true, "pool": "pool-1", "at": 1767000000.0,
        "bots": {"b1": {"at": 1766999998.2, "age_s": 1.8, "pid": 4242, "state": "running",
                        "status": [<FreqTrade /api/v1/status trade>, ...],
                        "balance": {<FreqTrade /api/v1/balance>},
                        "closed": {<FreqTrade /api/v1/trades?limit=500&order_by_id=false>}},
                 "b2": {"error": "Bot is backoff"}}}
-> 400 INVALID_QUERY
`bots`: a comma-separated subset (default every bot; unknown ids are left out); `closed`:
1/true to add the closed trades (default 0). The summaries are written by the bots after
every loop pass (runtime/summary/), so answering costs the bots nothing.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from runtime.errors import BadRequest
from runtime.rpc.keys import POOL
from runtime.summary.collect import collect

_FLAGS = {"1": True, "true": True, "0": False, "false": False}


async def handle(request: web.Request) -> web.Response:
    wanted, closed = query(request)
    pool = request.app[POOL]
    snapshot = await pool.snapshot()
    bots = [b for b in snapshot.bots if wanted is None or b.bot_id in wanted]
    now = time.time()
    found = await asyncio.to_thread(collect, bots, closed=closed, now=now)
    return web.json_response({"success": True, "pool": snapshot.pool_id, "at": now, "bots": found})


def query(request: web.Request) -> tuple[set[str] | None, bool]:
    """The `bots` subset (None: all) and the `closed` flag, or 400 INVALID_QUERY."""
    raw = request.query.get("closed", "0").strip().lower()
    if raw not in _FLAGS:
        raise BadRequest("closed must be 0, 1, true or false", "INVALID_QUERY")
    bots = request.query.get("bots")
    wanted = None if bots is None else {b for b in (p.strip() for p in bots.split(",")) if b}
    return wanted, _FLAGS[raw]
