"""bench/sse.py against a real aiohttp server: events of any size, comments skipped."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bench import sse
from bench.sse import StreamStats

BIG = 3 * 1024 * 1024  # far past aiohttp's 512 KiB line limit


async def _stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b'event: connected\ndata: {"status":"connected"}\n\n')
    await response.write(b": ping\n\n")
    payload = b"event: positions\ndata: " + b"x" * BIG + b"\n\n"
    for start in range(0, len(payload), 70_000):  # split across many TCP writes
        await response.write(payload[start : start + 70_000])
    await response.write(b"event: portfolio\ndata: {}\n\nevent: port")  # the last one unfinished
    await response.write_eof()
    return response


async def test_counts_events_past_the_line_limit_and_says_why_the_stream_ended() -> None:
    app = web.Application()
    app.router.add_get("/stream", _stream)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/stream")
        stats = StreamStats()
        await sse.count(response, stats)
    assert (stats.events, stats.portfolio) == (3, 1)
    assert stats.largest_bytes == len(b"event: positions\ndata: ") + BIG
    assert stats.error == "the server ended the stream"


async def test_a_broken_connection_is_recorded() -> None:
    async def broken(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"event: portfolio\ndata: {}\n\n")
        assert request.transport is not None
        request.transport.abort()
        return response

    app = web.Application()
    app.router.add_get("/stream", broken)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/stream")
        stats = StreamStats()
        try:
            await sse.count(response, stats)
        except aiohttp.ClientError:
            pass
    assert stats.events == 1
    assert stats.error is not None and stats.error != "the server ended the stream"
