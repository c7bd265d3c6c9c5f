"""The market catalogue the warm parent loads once, for its bots to share copy-on-write.

A bot's ccxt clients hold ~2,000 parsed markets on a Binance-sized exchange (tens of MiB of
small dicts). Loaded here, in the forkserver's preload before `gc.freeze()`, they are one
copy for the pool instead of one per bot (runtime/markets/hook.py makes the bots use them).

The preload module takes no arguments: the supervisor names the exchange in environment
variables before the forkserver starts (`environ_for`), the preload reads them back
(`spec_from_environ`). Loading never blocks or breaks the pool: a short deadline, and any
failure leaves no shared markets (logged) so that bots load their own as before.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import signal
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from runtime.exchange import ExchangeSpec, ccxt_config

logger = logging.getLogger(__name__)

ENV_NAME = "CRYPTOPILOT_WARM_EXCHANGE"
ENV_URL = "CRYPTOPILOT_WARM_EXCHANGE_URL"
ENV_TIMEOUT = "CRYPTOPILOT_WARM_MARKETS_TIMEOUT"
DEFAULT_TIMEOUT_S = 5.0

# What ccxt's `set_markets_from_exchange` copies: keyed tables are interned entry by entry,
# lists as a whole (runtime/markets/intern.py).
TABLES = (
    "markets",
    "markets_by_id",
    "currencies",
    "currencies_by_id",
    "baseCurrencies",
    "quoteCurrencies",
)
LISTS = ("symbols", "ids", "codes")
_MISSING = object()


def digest(value: Any) -> bytes:
    """A fingerprint of a JSON-shaped value (a ccxt market, a currency, a list of symbols).

    Interning compares fingerprints, not the objects: `==` on a shared dict would write the
    reference count of every nested shared object and so copy their pages into the bot.
    """
    text = json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


@dataclass
class SharedMarkets:
    """One exchange's markets as ccxt parsed them, with a fingerprint of every entry.

    Has the attributes ccxt's `set_markets_from_exchange(source)` reads (`id`, `markets`,
    `markets_by_id`, ..., `options`), so a bot's client can adopt it as if it were a loaded
    exchange. Read-only once built: bots share these objects.
    """

    spec: ExchangeSpec
    id: str
    loaded_at_ms: int  # wall clock, as FreqTrade's `dt_ts()` (compared with its refresh)
    load_seconds: float
    markets: dict[str, Any]
    markets_by_id: dict[str, Any]
    symbols: list[str]
    ids: list[str]
    currencies: dict[str, Any]
    currencies_by_id: dict[str, Any]
    baseCurrencies: dict[str, Any]  # noqa: N815 (ccxt's attribute names)
    quoteCurrencies: dict[str, Any]  # noqa: N815
    codes: list[str]
    # What loading the markets changed in ccxt's `options` (binance: its margin pair lists);
    # FreqTrade copies the loading client's options, so an adopting client needs them too.
    options: dict[str, Any] = field(default_factory=dict)
    digests: dict[str, dict[str, bytes]] = field(default_factory=dict)
    list_digests: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        spec: ExchangeSpec,
        client: Any,
        options_before: Mapping[str, Any],
        loaded_at_ms: int,
        load_seconds: float,
    ) -> SharedMarkets:
        """Take the market tables of a ccxt client that has just loaded its markets."""
        options = {
            key: value
            for key, value in client.options.items()
            if options_before.get(key, _MISSING) != value
        }
        tables: dict[str, Any] = {name: getattr(client, name) or {} for name in TABLES}
        tables.update({name: list(getattr(client, name) or []) for name in LISTS})
        shared = cls(
            spec=spec,
            id=str(client.id),
            loaded_at_ms=loaded_at_ms,
            load_seconds=load_seconds,
            options=options,
            **tables,
        )
        shared.digests = {
            name: {key: digest(value) for key, value in getattr(shared, name).items()}
            for name in TABLES
        }
        shared.list_digests = {name: digest(getattr(shared, name)) for name in LISTS}
        return shared

    def age_ms(self, now_ms: int) -> int:
        return now_ms - self.loaded_at_ms


def environ_for(spec: ExchangeSpec, timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, str]:
    """The environment variables that tell the warm parent which exchange to load."""
    return {ENV_NAME: spec.name, ENV_URL: spec.base_url, ENV_TIMEOUT: f"{timeout:g}"}


def spec_from_environ(environ: Mapping[str, str]) -> tuple[ExchangeSpec, float] | None:
    """The exchange (and deadline) the supervisor named, or None if it named none."""
    name = environ.get(ENV_NAME, "")
    if not name:
        return None
    try:
        timeout = float(environ.get(ENV_TIMEOUT, "") or DEFAULT_TIMEOUT_S)
    except ValueError:
        timeout = DEFAULT_TIMEOUT_S
    return ExchangeSpec(name, environ.get(ENV_URL, "")), timeout


class _Deadline(BaseException):
    """The load ran past its deadline (a BaseException: ccxt's handlers must not eat it)."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM; the preload runs in the main thread).

    ccxt's own timeout bounds each HTTP request but not name resolution, which without
    internet can hang far longer: this bounds the whole load.
    """

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _Deadline(f"no markets within {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load(spec: ExchangeSpec, timeout: float = DEFAULT_TIMEOUT_S) -> SharedMarkets | None:
    """Load the exchange's markets with ccxt's sync client (no event loop in the warm parent).

    Same ccxt class and `ccxt_config` as the bots; the HTTP session is closed afterwards,
    so no socket is inherited by a fork. Returns None (logged) on any failure.
    """
    import ccxt

    started = time.monotonic()
    client: Any = None
    try:
        config = ccxt_config(spec)
        config["timeout"] = max(1, int(timeout * 1000))
        client = getattr(ccxt, spec.name)(config)
        before = copy.deepcopy(client.options)
        with _deadline(timeout):
            client.load_markets()
        shared = SharedMarkets.of(
            spec, client, before, time.time_ns() // 1_000_000, time.monotonic() - started
        )
    except (Exception, _Deadline) as exc:
        where = f" at {spec.base_url}" if spec.base_url else ""
        logger.warning(
            "warm parent: no shared markets for %s%s (bots load their own): %s: %s",
            spec.name,
            where,
            type(exc).__name__,
            exc,
        )
        return None
    finally:
        session = getattr(client, "session", None)
        if session is not None:
            session.close()
    logger.info(
        "warm parent: %d markets of %s loaded in %.2fs, shared by every bot",
        len(shared.markets),
        spec.name,
        shared.load_seconds,
    )
    return shared


def load_from_environ(environ: Mapping[str, str]) -> SharedMarkets | None:
    """What the warm preload calls: load the exchange the supervisor named, if any."""
    named = spec_from_environ(environ)
    if named is None:
        return None
    spec, timeout = named
    return load(spec, timeout)
