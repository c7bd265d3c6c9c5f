"""Read a server-sent event stream the way a browser's EventSource does: no line-length cap.

aiohttp's `async for line in response.content` raises `LineTooLong` on a line over 512 KiB,
and an SSE `data:` line is one whole event (the gateway's JSON is compact). A bench client
reading that way silently stopped counting once a user's `positions` event grew past it (the
100-bot ramp's "0 SSE events from 80 bots"); this reader splits the raw bytes itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp


@dataclass
class StreamStats:
    """What one or more streams received: events by name and the largest event's size."""

    events: int = 0
    portfolio: int = 0
    largest_bytes: int = 0
    error: str | None = None  # why a stream ended early, if it did


async def events(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, int]]:
    """Each event's name and size in bytes, as the stream delivers them (comments skipped)."""
    pending = b""
    async for chunk in response.content.iter_any():
        pending += chunk
        *complete, pending = pending.split(b"\n\n")
        for block in complete:
            name = next(
                (line[6:].strip() for line in block.split(b"\n") if line.startswith(b"event:")),
                None,
            )
            if name is not None:
                yield name.decode(), len(block)


async def count(response: aiohttp.ClientResponse, stats: StreamStats) -> None:
    """Count a stream's events into `stats` until it ends or the task is cancelled."""
    try:
        async for name, size in events(response):
            stats.events += 1
            stats.portfolio += name == "portfolio"
            stats.largest_bytes = max(stats.largest_bytes, size)
    except (aiohttp.ClientError, OSError) as exc:
        stats.error = f"{type(exc).__name__}: {exc}"
        raise
    stats.error = stats.error or "the server ended the stream"
