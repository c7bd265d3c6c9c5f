"""Authentication and role checks for routes the route table marks other than `public`."""

from __future__ import annotations

import hmac

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.errors import Forbidden, NotAuthenticated, NotFound
from gateway.keys import METRICS, PRINCIPAL, SERVICES, SETTINGS
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


def is_metrics_token(request: web.Request, presented: str) -> bool:
    """True when `presented` is the configured metrics token (never when none is set)."""
    expected = request.app[SETTINGS].metrics_token.get_secret_value()
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = route_of(request)
    if route is None or route.access is Access.PUBLIC:
        return await handler(request)
    token = token_from(request, route.query_token)
    if route.access is Access.SCRAPE:
        if request.app[SETTINGS].metrics_token.get_secret_value() and not is_metrics_token(
            request, token
        ):
            code = "INVALID_TOKEN" if token else "NO_TOKEN"
            raise NotAuthenticated("The metrics token is required", code)
        return await handler(request)
    if route.access is Access.MONITORING and is_metrics_token(request, token):
        return await handler(request)
    try:
        principal = await request.app[SERVICES].authenticator.authenticate(token)
    except NotFound:
        # A well-signed token of a user who is gone (the 404 is the contract's answer).
        request.app[METRICS].auth_failures.labels("invalid").inc()
        raise
    if route.access in (Access.ADMIN, Access.MONITORING) and not principal.is_admin:
        raise Forbidden("Admin role required", "ADMIN_REQUIRED")
    request[PRINCIPAL] = principal
    user_id_var.set(principal.user_id)
    return await handler(request)
