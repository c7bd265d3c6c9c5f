"""Authentication and role checks for routes the route table marks `user` or `admin`."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.errors import Forbidden
from gateway.keys import PRINCIPAL, SERVICES
from gateway.routing import Access, route_of
from observability.logs import user_id_var

_SCHEMES = ("bearer", "firebase")


def token_from(request: web.Request, allow_query: bool) -> str:
    """The token from `Authorization: Bearer|Firebase <t>`, a bare header, or `?token=`."""
    header = request.headers.get("Authorization", "").strip()
    if header:
        scheme, _, rest = header.partition(" ")
        if rest and scheme.lower() in _SCHEMES:
            return rest.strip()
        if not rest:
            return header
    if allow_query:
        return request.query.get("token", "").strip()
    return ""


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = route_of(request)
    if route is None or route.access is Access.PUBLIC:
        return await handler(request)
    authenticator = request.app[SERVICES].authenticator
    principal = await authenticator.authenticate(token_from(request, route.query_token))
    if route.access is Access.ADMIN and not principal.is_admin:
        raise Forbidden("Admin role required", "ADMIN_REQUIRED")
    request[PRINCIPAL] = principal
    user_id_var.set(principal.user_id)
    return await handler(request)
