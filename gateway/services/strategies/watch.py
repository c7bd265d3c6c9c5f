"""Tells `/ws/strategies` clients about store changes, whichever process made them.

The API, the CLI and the importer all end in a commit, and the CLI runs in another process,
so the one signal is the repository's HEAD: `poll()` (a background loop, every ~2 s) compares
it with the last one seen and, when it moved, sends one `strategies:changed` message per
strategy added, removed or edited to every connected client.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gateway.models.strategies import StrategyItem
from gateway.services.strategies.metadata import StrategyMeta
from gateway.services.strategies.store import StrategyStore

logger = logging.getLogger(__name__)

# Messages a slow client may lag behind before it is disconnected.
QUEUE_SIZE = 32
Message = dict[str, Any]


def listing(catalogue: list[StrategyMeta]) -> list[StrategyItem]:
    """S1's items: `{name, className, description, fileName}`; `name` is what bots are given."""
    return [
        {
            "name": meta.className,
            "className": meta.className,
            "description": meta.description,
            "fileName": meta.fileName,
        }
        for meta in catalogue
    ]


def changes(before: list[StrategyMeta], after: list[StrategyMeta]) -> list[tuple[str, str]]:
    """(event type, strategy) for every strategy added, removed or edited between catalogues."""
    old = {m.className: m.version for m in before}
    new = {m.className: m.version for m in after}
    found = [("added", name) for name in new if name not in old]
    found += [("removed", name) for name in old if name not in new]
    found += [("edited", name) for name in new if name in old and new[name] != old[name]]
    return sorted(found, key=lambda change: change[1])


class StrategyWatch:
    """The connected clients' queues and the HEAD they were last told about."""

    def __init__(self, store: StrategyStore) -> None:
        self.store = store
        self._queues: set[asyncio.Queue[Message | None]] = set()
        self._head: str | None = None
        self._catalogue: list[StrategyMeta] = []

    async def subscribe(self) -> tuple[asyncio.Queue[Message | None], Message]:
        """A queue of future messages and the `strategies:list` message to send first."""
        queue: asyncio.Queue[Message | None] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        catalogue = await self.store.catalogue()
        return queue, {"type": "strategies:list", "strategies": listing(catalogue)}

    def clients(self) -> int:
        """How many clients are connected (`cryptopilot_websocket_clients`)."""
        return len(self._queues)

    def unsubscribe(self, queue: asyncio.Queue[Message | None]) -> None:
        self._queues.discard(queue)

    async def poll(self) -> None:
        """One look at HEAD; on a move, the changes go to every client."""
        head = await self.store.repo.head()
        if head is None or head == self._head:
            return
        catalogue = await self.store.catalogue(head)
        first = self._head is None
        self._head, before, self._catalogue = head, self._catalogue, catalogue
        if first:
            return
        available = listing(catalogue)
        for kind, name in changes(before, catalogue):
            self._send(
                {
                    "type": "strategies:changed",
                    "event": {"type": kind, "strategy": name, "availableStrategies": available},
                    "availableStrategies": available,
                }
            )

    def _send(self, message: Message) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                logger.info("a /ws/strategies client lags behind; disconnecting it")
                self._queues.discard(queue)
                queue.get_nowait()
                queue.put_nowait(None)

    def close(self) -> None:
        """End every client's stream (shutdown)."""
        for queue in list(self._queues):
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(None)
        self._queues.clear()
