"""Per-user (per-IP when anonymous) rate limits by route group, with `RateLimit-*` headers."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.errors import RateLimited
from gateway.keys import PRINCIPAL, RATE_LIMITER, SETTINGS
from gateway.ratelimit import Quota
from gateway.requestinfo import client_ip
from gateway.routing import route_of
from gateway.settings import parse_rate


@web.middleware
async def ratelimit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = route_of(request)
    if route is None or route.rate_group is None:
        return await handler(request)
    limit, window = parse_rate(getattr(request.app[SETTINGS], f"rate_limit_{route.rate_group}"))
    principal = request.get(PRINCIPAL)
    who = f"user:{principal.user_id}" if principal else f"ip:{client_ip(request)}"
    decision = await request.app[RATE_LIMITER].hit(
        f"{route.rate_group}:{who}", Quota(limit, window)
    )
    if not decision.allowed:
        raise RateLimited(
            "Too many requests, please try again later",
            decision.reset,
            limit=route.rate_group,
            headers=decision.headers(),
        )
    response = await handler(request)
    if not response.prepared:
        response.headers.update(decision.headers())
    return response
