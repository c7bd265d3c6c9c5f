"""The SSE hub: one portfolio aggregation per user per interval, fanned out to all their streams.

The first stream a user opens starts a producer task for that user; it aggregates right away
and then every `interval` seconds, and every open stream of the user gets the same
`portfolio` and `positions` events. The last stream to leave stops the producer. A failed
aggregation only skips a beat: the contract forbids an event named `error`, which the browser
would treat as a broken connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import Unavailable
from gateway.models.portfolio import portfolio_body, positions_event
from gateway.services.common import Clock
from gateway.services.dashboard.portfolio import Portfolio, PortfolioService

logger = logging.getLogger(__name__)

# Events a slow client may lag behind before the oldest are dropped (a batch is 2 events).
QUEUE_SIZE = 8


@dataclass(frozen=True)
class Event:
    """One SSE message; `name` None is a `: ping` comment."""

    name: str | None
    data: Any = None

    def encode(self) -> bytes:
        if self.name is None:
            return b": ping\n\n"
        # Compact JSON has no newline, so one `data:` line carries it.
        payload = json.dumps(self.data, separators=(",", ":"))
        return f"event: {self.name}\ndata: {payload}\n\n".encode()


PING = Event(None)


@dataclass
class _Feed:
    """One user's producer and the queues of their open streams."""

    queues: set[asyncio.Queue[Event | None]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    latest: Portfolio | None = None
    batch: list[Event] = field(default_factory=list)


class StreamHub:
    """Shares aggregations between a user's streams; `close()` ends every stream cleanly."""

    def __init__(
        self, portfolio: PortfolioService, clock: Clock, *, interval: float, ping_interval: float
    ) -> None:
        self.portfolio = portfolio
        self.clock = clock
        self.interval = interval
        self.ping_interval = ping_interval
        self._feeds: dict[str, _Feed] = {}
        self._closed = False

    def latest(self, user_id: str) -> Portfolio | None:
        """The user's last aggregation while a stream of theirs is open (for the snapshotter)."""
        feed = self._feeds.get(user_id)
        return None if feed is None else feed.latest

    def streams(self, user_id: str) -> int:
        """How many streams the user has open."""
        feed = self._feeds.get(user_id)
        return 0 if feed is None else len(feed.queues)

    def open_streams(self) -> int:
        """How many streams are open, all users together (`cryptopilot_sse_clients`)."""
        return sum(len(feed.queues) for feed in self._feeds.values())

    def events(self, user_id: str) -> AsyncGenerator[Event, None]:
        """The events of one stream: `connected`, then data batches and pings until closed.

        Close the iterator (`contextlib.aclosing`) when the client goes away.
        """
        if self._closed:
            raise Unavailable("The server is shutting down", "SHUTTING_DOWN")
        return self._events(user_id)

    async def close(self) -> None:
        """End every stream and stop every producer (application shutdown)."""
        self._closed = True
        feeds, self._feeds = list(self._feeds.values()), {}
        tasks = [feed.task for feed in feeds if feed.task is not None]
        for task in tasks:
            task.cancel()
        for feed in feeds:
            for queue in feed.queues:
                _offer(queue, [None])
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _events(self, user_id: str) -> AsyncGenerator[Event, None]:
        now_ms = int(self.clock().timestamp() * 1000)
        yield Event("connected", {"timestamp": now_ms, "status": "connected"})
        queue = self._join(user_id)
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.ping_interval
        try:
            while True:
                try:
                    async with asyncio.timeout(max(0.0, next_ping - loop.time())):
                        event = await queue.get()
                except TimeoutError:
                    next_ping = loop.time() + self.ping_interval
                    yield PING
                    continue
                if event is None:
                    return
                yield event
        finally:
            self._leave(user_id, queue)

    def _join(self, user_id: str) -> asyncio.Queue[Event | None]:
        feed = self._feeds.setdefault(user_id, _Feed())
        queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
        feed.queues.add(queue)
        # A second stream gets the current batch at once instead of a second aggregation.
        _offer(queue, feed.batch)
        if feed.task is None:
            feed.task = asyncio.create_task(self._produce(user_id, feed))
        return queue

    def _leave(self, user_id: str, queue: asyncio.Queue[Event | None]) -> None:
        feed = self._feeds.get(user_id)
        if feed is None:
            return
        feed.queues.discard(queue)
        if not feed.queues:
            del self._feeds[user_id]
            if feed.task is not None:
                feed.task.cancel()

    async def _produce(self, user_id: str, feed: _Feed) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                portfolio = await self.portfolio.aggregate(user_id)
            except Exception:
                logger.warning("stream aggregation for user %s failed", user_id, exc_info=True)
            else:
                feed.latest = portfolio
                feed.batch = [
                    Event("portfolio", portfolio_body(portfolio)),
                    Event("positions", positions_event(portfolio)),
                ]
                for queue in feed.queues:
                    _offer(queue, feed.batch)
            await asyncio.sleep(max(0.0, self.interval - (loop.time() - started)))


def _offer(queue: asyncio.Queue[Event | None], events: list[Event] | list[None]) -> None:
    """Queue events, dropping the oldest ones a slow client has not read yet."""
    for event in events:
        while queue.full():
            queue.get_nowait()
        queue.put_nowait(event)
