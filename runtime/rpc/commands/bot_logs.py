"""The last lines of one bot's FreqTrade log (logs/freqtrade.log and its rotated files).

GET /bots/{bot_id}/logs?lines=200&level=INFO
-> 200 {"success": true, "bot_id": "b1", "lines": 200, "level": "INFO",
        "logs": [{"ts": "2026-01-02T10:00:00.123+00:00", "level": "INFO",
                  "logger": "freqtrade.worker", "message": "Bot heartbeat. ..."}, ...]}
-> 400 INVALID_LINES | INVALID_LEVEL | 404 BOT_NOT_FOUND | 422 INVALID_BOT_ID
`lines`: how many records (a traceback is one), 1..5000, default 200; `level`: the lowest
level returned (DEBUG | INFO | WARNING | ERROR | CRITICAL, any case), default DEBUG. The
records are the last ones at or above that level, oldest first, read from the files' ends
(observability/logtail.py), in either log format (JSON or text). A bot that never ran has
none yet: `logs` is empty.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from observability.logtail import parse_level, parse_lines, tail
from runtime.errors import BadRequest
from runtime.rpc.keys import POOL


async def handle(request: web.Request) -> web.Response:
    lines, level = query(request)
    bot = request.app[POOL].managed(request.match_info["bot_id"])
    found = await asyncio.to_thread(tail, bot.paths.log, lines, level)
    return web.json_response(
        {
            "success": True,
            "bot_id": bot.record.spec.bot_id,
            "lines": lines,
            "level": level,
            "logs": found.entries,
        }
    )


def query(request: web.Request) -> tuple[int, str]:
    """`lines` and `level` of the query string, or 400 naming the bad one."""
    try:
        lines = parse_lines(request.query.get("lines"))
    except ValueError as exc:
        raise BadRequest(str(exc), "INVALID_LINES") from None
    try:
        level = parse_level(request.query.get("level"))
    except ValueError as exc:
        raise BadRequest(str(exc), "INVALID_LEVEL") from None
    return lines, level
