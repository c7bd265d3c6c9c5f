"""X1: the dashboard's server-sent event stream (portfolio and positions every few seconds).

Served on the three paths the frontend builds use. EventSource cannot send headers, so the
token comes as `?token=`; a bad one is answered 401 JSON before the stream starts.
"""

from __future__ import annotations

import logging
from contextlib import aclosing

from aiohttp import web

from gateway.handlers.common import principal, services
from gateway.models.portfolio import StreamEvents
from gateway.routing import Access, Route

logger = logging.getLogger(__name__)

STREAM_PATHS = ("/api/freqtrade/stream", "/api/freqtrade/api/stream", "/api/stream")
HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    # nginx buffers proxied responses unless told not to, which would hold events back.
    "X-Accel-Buffering": "no",
}


async def stream(request: web.Request) -> web.StreamResponse:
    user_id = principal(request).user_id
    events = services(request).stream.events(user_id)
    response = web.StreamResponse(status=200, headers=HEADERS)
    await response.prepare(request)
    try:
        async with aclosing(events) as open_events:
            async for event in open_events:
                await response.write(event.encode())
    except ConnectionResetError:
        logger.debug("stream of user %s closed by the client", user_id)
        return response
    await response.write_eof()
    return response


ROUTES = [
    Route("GET", path, stream, Access.USER,
          "Server-sent events: `connected`, then `portfolio` and `positions` batches and pings",
          StreamEvents, rate_group=None, query_token=True, content_type="text/event-stream",
          tag="portfolio")
    for path in STREAM_PATHS
]  # fmt: skip
