"""The published strategies as provisioning and risk settings read them, kept current.

Those checks are synchronous and frequent, so they read a snapshot of the store's HEAD,
refreshed by `refresh()` after each change made here and on every watch pass (changes made by
the CLI in another process).
"""

from __future__ import annotations

from gateway.services.strategies.sources import read_tree
from gateway.services.strategies.store import StrategyStore
from runtime.botconfig import StrategyLibrary


class StrategyCatalogue:
    """The store's strategy names and which of them sell at take-profit rungs."""

    def __init__(self, store: StrategyStore) -> None:
        self.store = store
        self._head: str | None = None
        self._library = StrategyLibrary((), frozenset())

    def library(self) -> StrategyLibrary:
        return self._library

    async def refresh(self) -> None:
        head = await self.store.repo.head()
        if head is None or head == self._head:
            return
        names = tuple(m.className for m in await self.store.catalogue(head))
        tree = read_tree(await self.store.tree(head))
        ladder = frozenset(n for n in names if tree.inherits(n, "TakeProfitLadder"))
        self._head, self._library = head, StrategyLibrary(names, ladder)
