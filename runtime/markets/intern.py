"""Make a bot's ccxt client hold the warm parent's market objects instead of its own.

`adopt` replaces the initial HTTP load: the client takes the shared tables as they are.
`intern` runs after a later reload from the exchange: every entry whose fingerprint equals
the shared one's is replaced by the shared object, so only markets that changed since the
warm parent loaded them stay private to the bot. Fingerprints, not `==`: comparing with a
shared object would write reference counts all through it and copy its pages (shared.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from runtime.markets.shared import LISTS, TABLES, SharedMarkets, digest


def adopt(client: Any, shared: SharedMarkets) -> None:
    """Give `client` the shared markets, as its own `load_markets` would have set them."""
    client.set_markets_from_exchange(shared)
    client.options.update(shared.options)


@dataclass(frozen=True)
class InternStats:
    """What one intern pass did: entries now shared, entries kept private (new or changed)."""

    shared: int
    private: int
    seconds: float


def intern(client: Any, shared: SharedMarkets) -> InternStats:
    """Swap every entry of `client`'s freshly loaded tables that equals the shared one.

    Each table is rebuilt in its own key order, so `markets`, `markets_by_id`, the currency
    tables and the symbol lists stay consistent with each other and with what ccxt loaded.
    """
    started = time.perf_counter()
    same = private = 0
    for name in TABLES:
        fresh = getattr(client, name)
        if not isinstance(fresh, dict):
            continue
        theirs: dict[str, Any] = getattr(shared, name)
        fingerprints = shared.digests.get(name, {})
        table: dict[str, Any] = {}
        for key, value in fresh.items():
            known = fingerprints.get(key)
            if known is not None and known == digest(value):
                table[key] = theirs[key]
                same += 1
            else:
                table[key] = value
                private += 1
        setattr(client, name, table)
    for name in LISTS:
        fresh_list = getattr(client, name)
        if fresh_list is not None and shared.list_digests.get(name) == digest(fresh_list):
            setattr(client, name, getattr(shared, name))
    return InternStats(same, private, time.perf_counter() - started)
