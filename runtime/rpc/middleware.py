"""Authentication and the one place where errors become HTTP answers."""

from __future__ import annotations

import hmac
import json
import logging
import re
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from observability.logs import log_context
from runtime.botroute import POOL_TOKEN_HEADER
from runtime.errors import BadRequest, PoolError, Unauthorized
from runtime.rpc import botproxy
from runtime.rpc.keys import POOL, SETTINGS

logger = logging.getLogger(__name__)

# The gateway's request id (PoolClient sends it), accepted when it looks like one.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def error_body(code: str, message: str) -> dict[str, object]:
    return {"success": False, "code": code, "message": message}


@web.middleware
async def context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: the call's log lines carry its request id (the caller's `X-Request-ID`,
    else a new one, echoed in the answer) and, on a bot's route, the bot and its owner."""
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    bot_id = request.match_info.get("bot_id")
    pool = request.app.get(POOL)
    owner = pool.owner_of(bot_id) if pool is not None and bot_id else None
    with log_context(request_id=request_id, bot_id=bot_id, user_id=owner):
        response = await handler(request)
    response.headers["X-Request-ID"] = request_id
    return response


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map PoolError subclasses (and aiohttp's own 4xx) to `{"success": false, ...}`."""
    try:
        return await handler(request)
    except PoolError as exc:
        return web.json_response(error_body(exc.code, exc.message), status=exc.status)
    except web.HTTPException as exc:
        if exc.status >= 400:
            code = {
                404: "NOT_FOUND",
                405: "METHOD_NOT_ALLOWED",
                413: "BODY_TOO_LARGE",
            }.get(exc.status, "HTTP_ERROR")
            return web.json_response(error_body(code, exc.reason), status=exc.status)
        raise
    except Exception:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return web.json_response(error_body("INTERNAL", "internal error"), status=500)


@web.middleware
async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Require `Authorization: Bearer <pool token>` on every route; on the bots' API route
    (whose `Authorization` is the bot's own) the token comes in `X-Pool-Token` instead."""
    expected = request.app[SETTINGS].token.get_secret_value()
    if request.match_info.route.name == botproxy.ROUTE_NAME:
        given = request.headers.get(POOL_TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized(f"missing or wrong {POOL_TOKEN_HEADER}")
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("missing or wrong bearer token")
    return await handler(request)


async def json_body(request: web.Request) -> object:
    """The request's JSON body, or 400 BAD_REQUEST."""
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
