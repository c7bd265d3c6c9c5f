"""Bot child side: FreqTrade's market loading takes the warm parent's markets.

Wraps two methods of FreqTrade's `Exchange` (one bot per process, so patching the class is
fine, as runtime/liveness/hook.py does):

* `_load_async_markets`, the HTTP load `reload_markets` calls before it copies the async
  client's markets to the sync client (and to the websocket client, and the options). On
  the initial load, if the warm parent holds markets of this bot's exchange younger than
  the bot's `markets_refresh_interval`, the async client adopts them instead of loading
  (runtime/markets/intern.py); everything FreqTrade does around it runs unchanged.
  Any later load goes to the exchange as before, then its result is interned against the
  shared copy, so equal markets stay shared and only changed ones become the bot's own.
* `reload_markets`, so that after an adoption the next scheduled reload is due when the
  shared copy is `markets_refresh_interval` old, as if the bot had loaded it then: a bot
  never holds markets older than FreqTrade would let them get.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from runtime.exchange import ExchangeSpec
from runtime.markets.intern import adopt, intern
from runtime.markets.shared import SharedMarkets

logger = logging.getLogger(__name__)

ADOPTED = "_cryptopilot_shared_markets_at"  # on the Exchange instance: when they were loaded


def warm_markets() -> SharedMarkets | None:
    """The markets the warm parent loaded before forking this process, if any."""
    warm = sys.modules.get("runtime.warm")
    shared = getattr(warm, "SHARED_MARKETS", None)
    return shared if isinstance(shared, SharedMarkets) else None


def _wrap_load(original: Callable[..., None], shared: SharedMarkets) -> Callable[..., None]:
    def load(self: Any, reload: bool = False) -> None:
        from freqtrade.util import dt_ts

        client = self._api_async
        if client.id != shared.id:
            original(self, reload=reload)
            return
        age = shared.age_ms(dt_ts())
        if self._last_markets_refresh == 0 and 0 <= age < self.markets_refresh_interval:
            adopt(client, shared)
            setattr(self, ADOPTED, shared.loaded_at_ms)
            logger.info(
                "markets: %d of %s shared from the warm parent (loaded %.0fs ago)",
                len(shared.markets),
                shared.id,
                age / 1000,
            )
            return
        original(self, reload=reload)
        stats = intern(client, shared)
        logger.info(
            "markets reloaded from %s: %d entries shared with the warm parent, %d own"
            " (interned in %.3fs)",
            shared.id,
            stats.shared,
            stats.private,
            stats.seconds,
        )

    return load


def _wrap_reload(original: Callable[..., None]) -> Callable[..., None]:
    def reload_markets(self: Any, force: bool = False, *, load_leverage_tiers: bool = True) -> None:
        original(self, force, load_leverage_tiers=load_leverage_tiers)
        loaded_at = self.__dict__.pop(ADOPTED, None)
        if loaded_at is not None and self._last_markets_refresh > 0:
            self._last_markets_refresh = loaded_at

    return reload_markets


def install(spec: ExchangeSpec) -> bool:
    """Patch FreqTrade's market loading if the warm parent holds markets of `spec`.

    Returns whether it did: with no shared markets (none loaded, or another exchange or URL
    than this bot's) FreqTrade loads its own exactly as it always did.
    """
    shared = warm_markets()
    if shared is None or shared.spec != spec:
        logger.info("markets: none shared by the warm parent for %s, loading our own", spec.name)
        return False
    from freqtrade.exchange.exchange import Exchange

    Exchange._load_async_markets = _wrap_load(Exchange._load_async_markets, shared)
    Exchange.reload_markets = _wrap_reload(Exchange.reload_markets)
    return True
