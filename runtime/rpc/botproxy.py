"""A bot's own FreqTrade API served through the pool's control port (gateway on another host).

ANY /bots/{bot_id}/api/v1/{tail}?{query}
    X-Pool-Token: <pool token>            (the pool's own check, runtime/rpc/middleware.py)
    Authorization: <the bot's own>        (Basic for token/login, Bearer JWT otherwise)
-> the bot's answer unchanged: status, content type (and its other end-to-end headers), body
   streamed as it comes
-> 401 UNAUTHORIZED (no or wrong X-Pool-Token: nothing reaches the bot)
 | 404 BOT_NOT_FOUND | 422 INVALID_BOT_ID | 404 INVALID_PATH (`.`, `..`, `%2e%2e` in the tail)
 | 409 BOT_NOT_RUNNING (no process: stopped, backoff, exited, fatal)
 | 502 BOT_UNREACHABLE (its API did not answer: refused, timed out, reset)

The bots keep listening on 127.0.0.1; this route is the only way to them from elsewhere.
FreqTrade's websocket (`/api/v1/message/ws`) is not proxied: nothing calls it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import unquote

import aiohttp
from aiohttp import web
from yarl import URL

from observability.logs import request_id_var
from runtime.errors import BadGateway, Conflict, PoolError
from runtime.rpc.keys import POOL
from runtime.states import ALIVE

logger = logging.getLogger(__name__)

PATH = "/bots/{bot_id}/api/v1/{tail:.*}"
ROUTE_NAME = "bot-api"
CONNECT_TIMEOUT_S = 2.0  # a bot on this host accepts at once, or is not listening
READ_TIMEOUT_S = 60.0  # between two reads; the caller sets its own limit on the whole call
CHUNK_BYTES = 64 * 1024
# Request headers that matter to FreqTrade; the pool's own (X-Pool-Token, Host) stay here.
FORWARDED = ("Authorization", "Content-Type", "Accept", "Accept-Encoding", "If-None-Match")
# Hop-by-hop headers and those aiohttp writes itself.
NOT_RETURNED = frozenset(
    h.lower()
    for h in (
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE",
        "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Date", "Server",
    )
)  # fmt: skip

BOT_HTTP = web.AppKey("bot_http", aiohttp.ClientSession)


class BadPath(PoolError):
    """A tail with `.` or `..` segments: only the bot's api/v1 routes are served."""

    status = 404
    code = "INVALID_PATH"


async def http_session(app: web.Application) -> AsyncIterator[None]:
    """The one client session to the bots (cleanup context): pooled connections, no
    decompression (the bytes go back as the bot sent them)."""
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=CONNECT_TIMEOUT_S, sock_read=READ_TIMEOUT_S
    )
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=16)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        auto_decompress=False,
        skip_auto_headers=("Accept-Encoding",),
    ) as session:
        app[BOT_HTTP] = session
        yield


def _target(request: web.Request, port: int) -> URL:
    """`http://127.0.0.1:<port>/api/v1/<tail>?<query>`, the tail as it was encoded."""
    bot_id = request.match_info["bot_id"]
    raw = request.rel_url.raw_path[len(f"/bots/{bot_id}") :]
    if any(unquote(segment) in (".", "..") for segment in raw.split("/")):
        raise BadPath("only the bot's api/v1 routes are served")
    query = request.rel_url.raw_query_string
    return URL(f"http://127.0.0.1:{port}{raw}" + (f"?{query}" if query else ""), encoded=True)


async def handle(request: web.Request) -> web.StreamResponse:
    bot_id = request.match_info["bot_id"]
    bot = request.app[POOL].managed(bot_id)  # 404 BOT_NOT_FOUND, 422 INVALID_BOT_ID
    state = bot.process.state
    if state not in ALIVE:
        raise Conflict(f"bot {bot_id} is {state.value}: its API is not running", "BOT_NOT_RUNNING")
    url = _target(request, bot.record.port)
    headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
    body = await request.read() if request.body_exists else None  # bounded by client_max_size
    session = request.app[BOT_HTTP]
    try:
        async with session.request(
            request.method, url, headers=headers, data=body, allow_redirects=False
        ) as upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for name, value in upstream.headers.items():
                if name.lower() not in NOT_RETURNED:
                    response.headers.add(name, value)
            if upstream.content_length is not None:
                response.content_length = upstream.content_length
            request_id = request_id_var.get()
            if request_id:  # the context middleware's, set before the headers are sent
                response.headers["X-Request-ID"] = request_id
            await response.prepare(request)
            await _relay(upstream, response, bot_id)
            return response
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise BadGateway(f"bot {bot_id} did not answer: {_reason(exc)}") from None


async def _relay(
    upstream: aiohttp.ClientResponse, response: web.StreamResponse, bot_id: str
) -> None:
    """Copy the body as it comes; a bot failing half-way drops the caller's connection (the
    status is sent already, so a short body is the only honest signal left)."""
    try:
        async for chunk in upstream.content.iter_chunked(CHUNK_BYTES):
            await response.write(chunk)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        logger.warning("bot %s broke off its answer: %s", bot_id, _reason(exc))
        response.force_close()
        return
    await response.write_eof()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
