"""The one error middleware: every failure becomes `{success:false, message, code}` JSON."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import InterfaceError, OperationalError

from gateway.db.database import is_database_outage
from gateway.errors import ApiError, Unavailable
from gateway.keys import METRICS
from gateway.routing import route_of

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
# Failures of a dependency, not of our code: the client may retry later.
_TEMPORARY = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def error_response(exc: ApiError, request: web.Request) -> web.Response:
    route = route_of(request)
    body: dict[str, object] = dict(route.error_fields) if route else {}
    body.update(exc.extra)
    body.update({"success": False, "message": exc.message, "code": exc.code})
    return web.json_response(body, status=exc.status, headers=exc.headers)


def _from_http(exc: web.HTTPException, request: web.Request) -> ApiError:
    if exc.status == 404 and request.path.startswith("/api/"):
        message = f"API endpoint not found: {request.method} {request.path}"
    elif exc.status == 405:
        message = f"Method {request.method} not allowed on {request.path}"
    else:
        message = exc.reason
    error = ApiError(message, _HTTP_CODES.get(exc.status, f"HTTP_{exc.status}"))
    error.status = exc.status
    if exc.status == 405 and "Allow" in exc.headers:
        error.headers["Allow"] = exc.headers["Allow"]
    return error


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        if exc.status >= 500:
            logger.warning("%s %s -> %s %s", request.method, request.path, exc.status, exc.code)
        request.app[METRICS].refused(exc)  # auth failures and 429s, counted in one place
        return error_response(exc, request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(_from_http(exc, request), request)
    except Exception as exc:
        return error_response(_unexpected(exc, request), request)


def _unexpected(exc: Exception, request: web.Request) -> ApiError:
    """A failure no handler expected: a dependency that is down (503) or a bug (500)."""
    if is_database_outage(exc):
        logger.warning("database unavailable on %s %s: %r", request.method, request.path, exc)
        return Unavailable("Database is not reachable, please retry", "DATABASE_UNAVAILABLE")
    if isinstance(exc, _TEMPORARY):
        logger.warning("dependency failure on %s %s: %r", request.method, request.path, exc)
        return Unavailable("Service temporarily unavailable, please retry", "UNAVAILABLE")
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return ApiError("Internal server error", "INTERNAL_ERROR")
