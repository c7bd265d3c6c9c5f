"""B6, B7 and the generic per-bot proxy: a user's call forwarded to their bot's FreqTrade API.

Only the bot's owner gets through, only to `api/v1/...` and never to `api/v1/token/...` (the
gateway holds the bot's credentials; the user must not mint tokens with them). FreqTrade's
answer comes back unchanged: same status, same bytes, same content type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from gateway.errors import Forbidden, NotFound
from gateway.handlers.common import principal, services
from gateway.keys import SETTINGS
from gateway.routing import Access, Route
from gateway.services.trading.botapi import BotApiClient, BotOffline, BotReply
from gateway.services.trading.botstore import BotStore

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PROXY_PATH = "/api/freqtrade/proxy/{instanceId}/{tail:.*}"


def bot_path(tail: str) -> str:
    """`/api/v1/...` for an allowed tail; 404 outside the API, 403 for its token routes."""
    segments = [s for s in tail.split("/") if s]
    if any(s in (".", "..") for s in segments) or segments[:2] != ["api", "v1"]:
        raise NotFound("Only FreqTrade's api/v1 routes can be proxied", "PROXY_PATH_NOT_FOUND")
    if segments[2:3] == ["token"]:
        raise Forbidden("Bot tokens are not available through the proxy", "PROXY_PATH_FORBIDDEN")
    return "/" + "/".join(segments)


async def forward(
    bots: BotStore,
    api: BotApiClient,
    *,
    user_id: str,
    bot_id: str,
    method: str,
    tail: str,
    query: Mapping[str, str],
    body: bytes | None,
    call_timeout: float,
) -> BotReply:
    """Send one call to a bot the user owns; BotOffline when it is stopped or not reachable."""
    path = bot_path(tail)
    bot = await bots.owned(user_id, bot_id, recent=True)
    endpoint = bot.endpoint
    if bot.desired_state != "running" or endpoint is None:
        raise BotOffline(bot.id, f"bot is {bot.desired_state}, API not available")
    return await api.request(
        endpoint, method, path, body=body, params=query or None, timeout=call_timeout
    )


async def proxy(request: web.Request) -> web.Response:
    body = await request.read() if request.can_read_body else b""
    found = await forward(
        services(request).bot_store,
        services(request).bot_api,
        user_id=principal(request).user_id,
        bot_id=request.match_info["instanceId"],
        method=request.method,
        tail=request.match_info["tail"],
        query=request.query,
        body=body or None,
        call_timeout=request.app[SETTINGS].proxy_timeout,
    )
    return web.Response(
        status=found.status, body=found.body, headers={"Content-Type": found.content_type}
    )


ROUTES = [
    Route(method, PROXY_PATH, proxy, Access.USER,
          "Forward a call to the caller's bot's FreqTrade REST API (api/v1/...), answer unchanged",
          Any, tag="bots")
    for method in METHODS
]  # fmt: skip
