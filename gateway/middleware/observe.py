"""Outermost middleware: request id (header, logs), access log line and Prometheus metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.keys import METRICS, REQUEST_ID
from gateway.routing import route_of
from observability.logs import request_id_var, user_id_var

logger = logging.getLogger("gateway.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@web.middleware
async def observe_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    id_token = request_id_var.set(request_id)
    user_token = user_id_var.set(None)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        elapsed = time.perf_counter() - started
        route = route_of(request)
        template = route.path if route else "unmatched"
        request.app[METRICS].observe(request.method, template, status, elapsed)
        logger.info("%s %s %s %.1fms", request.method, request.path, status, elapsed * 1000.0)
        user_id_var.reset(user_token)
        request_id_var.reset(id_token)


async def add_request_id_header(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response, streams included, carries X-Request-ID."""
    request_id = request.get(REQUEST_ID)
    if request_id:
        response.headers["X-Request-ID"] = request_id
