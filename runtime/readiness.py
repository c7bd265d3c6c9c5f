"""Is a bot's FreqTrade REST API answering? (`GET /api/v1/ping`)"""

from __future__ import annotations

import aiohttp

PING_TIMEOUT = aiohttp.ClientTimeout(total=1.0)


async def api_answers(session: aiohttp.ClientSession, port: int) -> bool:
    """True once the bot's API on 127.0.0.1:`port` answers its ping."""
    try:
        async with session.get(
            f"http://127.0.0.1:{port}/api/v1/ping", timeout=PING_TIMEOUT
        ) as response:
            if response.status != 200:
                return False
            body = await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return False
    return isinstance(body, dict) and body.get("status") == "pong"
