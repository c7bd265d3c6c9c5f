"""CORS: exact-origin echo with credentials for allowed origins, preflights answered here.

The headers are added in `on_response_prepare`, so error responses and streams get them too.
In development any origin is allowed (the Vite dev server runs on LAN addresses).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.keys import SETTINGS

ALLOW_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = "Origin, X-Requested-With, Content-Type, Accept, Authorization"
PREFLIGHT_MAX_AGE = "600"


def origin_allowed(request: web.Request, origin: str) -> bool:
    settings = request.app[SETTINGS]
    return settings.is_development or origin in settings.cors_origins


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer preflights before routing, auth or rate limits see them."""
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        origin = request.headers.get("Origin", "")
        response = web.Response(status=204)
        if origin and origin_allowed(request, origin):
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response
    return await handler(request)


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: echo an allowed Origin with credentials on every response."""
    origin = request.headers.get("Origin")
    if not origin or not origin_allowed(request, origin):
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"
