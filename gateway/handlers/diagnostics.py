"""D*: diagnostic routes of the `/auth-debug` page, health, readiness and OpenAPI."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import ApiError, Unavailable
from gateway.handlers.common import principal, reply, services
from gateway.handlers.views import user_summary
from gateway.keys import DB
from gateway.middleware.auth import token_from
from gateway.models.common import HealthBody
from gateway.models.diagnostics import DebugAuthResponse, DebugNoAuthResponse, UserProfileResponse
from gateway.openapi import OPENAPI_DOCUMENT, OpenApiDocument
from gateway.routing import Access, Route
from gateway.services.common import iso, utcnow


async def health(request: web.Request) -> web.Response:
    payload: HealthBody = {"status": "ok"}
    return reply(payload)


async def ready(request: web.Request) -> web.Response:
    db = request.app[DB]
    await db.ping()
    if not await db.schema_is_current():
        raise Unavailable("Database schema is not up to date", "SCHEMA_OUTDATED")
    payload: HealthBody = {"status": "ready", "database": "ok"}
    return reply(payload)


async def openapi(request: web.Request) -> web.Response:
    return reply(request.app[OPENAPI_DOCUMENT])


async def debug_no_auth(request: web.Request) -> web.Response:
    payload: DebugNoAuthResponse = {
        "success": True,
        "message": "Gateway reachable without authentication",
        "timestamp": iso(utcnow()) or "",
    }
    return reply(payload)


async def debug_auth(request: web.Request) -> web.Response:
    token = token_from(request, allow_query=False)
    payload: DebugAuthResponse = {
        "success": True,
        "authenticated": False,
        "hasAuthorizationHeader": "Authorization" in request.headers,
    }
    try:
        caller = await services(request).authenticator.authenticate(token)
    except ApiError as exc:
        payload["reason"] = exc.message
    else:
        payload["authenticated"] = True
        payload["tokenType"] = caller.token_kind
        payload["userId"] = caller.user_id
    return reply(payload)


async def users_profile(request: web.Request) -> web.Response:
    payload: UserProfileResponse = {"success": True, "data": user_summary(principal(request).user)}
    return reply(payload)


ROUTES = [
    Route("GET", "/api/health", health, Access.PUBLIC, "Liveness: the process is up",
          HealthBody, rate_group=None, tag="ops"),
    Route("GET", "/api/ready", ready, Access.PUBLIC,
          "Readiness: database reachable and migrated (503 otherwise)", HealthBody,
          rate_group=None, tag="ops"),
    Route("GET", "/api/openapi.json", openapi, Access.PUBLIC, "This OpenAPI document",
          OpenApiDocument, rate_group=None, tag="ops"),
    Route("GET", "/api/users/debug-no-auth", debug_no_auth, Access.PUBLIC,
          "Diagnostic: reachable without a token", DebugNoAuthResponse, tag="diagnostics"),
    Route("GET", "/api/auth/debug-auth", debug_auth, Access.PUBLIC,
          "Diagnostic: what the gateway makes of the Authorization header", DebugAuthResponse,
          tag="diagnostics"),
    Route("GET", "/api/users/profile", users_profile, Access.USER,
          "Diagnostic: the caller as a user summary", UserProfileResponse, tag="diagnostics"),
    Route("GET", "/api/users/profile-alt", users_profile, Access.USER,
          "Diagnostic: same as /api/users/profile", UserProfileResponse, tag="diagnostics"),
]  # fmt: skip
