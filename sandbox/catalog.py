"""The sandbox's list of markets: which bases and quotes exist and how they are quoted.

Pure data and small lookups, no prices: `market.py` walks the prices, `server.py` serves them.
Every base is listed against every quote; USD trades at the USDT price and EUR at the USDT
price times a fixed FX rate, so a user's `BTC/EUR` bot sees the same market shape as
`BTC/USDT`.

`catalogue(markets)` can list more: deterministic extra USDT markets (`XAAA/USDT`,
`XAAB/USDT`, ...) up to `markets` in all, so bots load a Binance-sized market list (about
2,000 spot markets) as they do in production. The regular markets stay what they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# Reference price (in USDT) around which each base's random walk reverts.
ANCHOR_PRICES: dict[str, float] = {
    "BTC": 65_000.0,
    "ETH": 3_200.0,
    "SOL": 150.0,
    "BNB": 580.0,
    "XRP": 0.55,
    "ADA": 0.45,
    "DOGE": 0.15,
    "AVAX": 35.0,
    "DOT": 7.0,
    "LINK": 15.0,
    "LTC": 80.0,
    "ATOM": 8.5,
}

# Quote currency -> (price factor against USDT, share of the USDT volume traded there).
QUOTES: dict[str, tuple[float, float]] = {
    "USDT": (1.0, 1.0),
    "USD": (1.0, 0.2),
    "EUR": (0.92, 0.1),
}

# Binance's spot minimum order value, in quote currency.
MIN_NOTIONAL = 5.0


class UnknownPairError(ValueError):
    """A pair or symbol that the sandbox market does not list."""


@dataclass(frozen=True)
class Instrument:
    """One tradable symbol (e.g. BTCUSDT) with its exchange filters."""

    base: str
    quote: str
    fx: float
    volume_share: float
    tick_size: float
    step_size: float
    anchor: float  # the base's reference price in USDT, around which its walk reverts
    # Whose price walk it follows: its own base, or (an extra market) a regular base's, so a
    # 2,000-market catalogue costs the sandbox 12 walks, not 2,000 (their cache stays warm).
    path: str = ""

    @property
    def walk(self) -> str:
        """The name its price walk is drawn under."""
        return self.path or self.base

    @property
    def symbol(self) -> str:
        """Binance's id, e.g. `BTCUSDT`."""
        return f"{self.base}{self.quote}"

    @property
    def pair(self) -> str:
        """ccxt/FreqTrade's unified name, e.g. `BTC/USDT`."""
        return f"{self.base}/{self.quote}"

    @property
    def price_decimals(self) -> int:
        """Digits after the decimal point of a price."""
        return decimals(self.tick_size)

    @property
    def amount_decimals(self) -> int:
        """Digits after the decimal point of an amount."""
        return decimals(self.step_size)


def decimals(step: float) -> int:
    """Number of decimals of a power-of-ten step (0.01 -> 2, 1.0 -> 0)."""
    return max(0, -round(math.log10(step)))


def _instrument(
    base: str, quote: str, anchor: float, share: float | None = None, path: str = ""
) -> Instrument:
    fx, quote_share = QUOTES[quote]
    price = anchor * fx
    magnitude = math.floor(math.log10(price))
    # Roughly Binance's choice: ~7 significant digits of price, ~$1-10 per amount step.
    tick = 10.0 ** max(magnitude - 6, -8)
    step = 10.0 ** min(max(math.floor(math.log10(1.0 / price)), -8), 0)
    share = quote_share if share is None else share
    return Instrument(base, quote, fx, share, tick, step, anchor, path)


INSTRUMENTS: dict[str, Instrument] = {
    inst.symbol: inst
    for inst in (_instrument(b, q, ANCHOR_PRICES[b]) for q in QUOTES for b in ANCHOR_PRICES)
}
_BY_PAIR: dict[str, Instrument] = {inst.pair: inst for inst in INSTRUMENTS.values()}

EXTRA_QUOTE = "USDT"
EXTRA_VOLUME_SHARE = 0.05  # an extra market trades a twentieth of a regular one's volume
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_EXTRA_MAX = len(_LETTERS) ** 3


def extra_base(index: int) -> str:
    """The name of the `index`-th extra base: XAAA, XAAB, ... (never a regular base)."""
    first, rest = divmod(index, len(_LETTERS) ** 2)
    second, third = divmod(rest, len(_LETTERS))
    return "X" + _LETTERS[first] + _LETTERS[second] + _LETTERS[third]


def extra_anchor(index: int) -> float:
    """A deterministic reference price spread log-uniformly over 0.001-10,000 USDT."""
    fraction = (index * 2_654_435_761) % 10_007 / 10_007  # Knuth's multiplicative hash
    return float(f"{10.0 ** (fraction * 7 - 3):.6g}")


def catalogue(markets: int = 0) -> dict[str, Instrument]:
    """The listed instruments by symbol: the regular ones, then extra USDT markets up to
    `markets` in all (0, or anything up to the regular count, lists the regular ones only)."""
    extras = max(0, markets - len(INSTRUMENTS))
    if extras > _EXTRA_MAX:
        raise ValueError(f"at most {len(INSTRUMENTS) + _EXTRA_MAX} markets, not {markets}")
    listed = dict(INSTRUMENTS)
    regular = list(ANCHOR_PRICES)
    for index in range(extras):
        inst = _instrument(
            extra_base(index), EXTRA_QUOTE, extra_anchor(index), EXTRA_VOLUME_SHARE,
            path=regular[index % len(regular)],
        )  # fmt: skip
        listed[inst.symbol] = inst
    return listed


def instrument(symbol: str, listed: Mapping[str, Instrument] = INSTRUMENTS) -> Instrument:
    """Look up a Binance symbol (`BTCUSDT`) among `listed`; raises `UnknownPairError`."""
    try:
        return listed[symbol]
    except KeyError:
        raise UnknownPairError(f"unknown symbol {symbol!r}") from None


def sandbox_pairs(quote: str | None = None) -> list[str]:
    """Unified pairs the sandbox lists (`BTC/USDT`, ...), optionally for one quote currency."""
    return [inst.pair for inst in INSTRUMENTS.values() if quote is None or inst.quote == quote]


def market_pair(user_pair: str) -> str:
    """Map a user's pair (`btc/usd`, `BTC/USDT:USDT`) to the sandbox pair that serves it.

    Spot only: a futures suffix is refused. Raises `UnknownPairError` with the quotes and
    bases on offer when nothing matches.
    """
    pair = user_pair.strip().upper()
    if ":" in pair:
        raise UnknownPairError(f"{user_pair!r} is a futures pair; the sandbox is spot only")
    if pair in _BY_PAIR:
        return pair
    raise UnknownPairError(
        f"{user_pair!r} is not listed by the sandbox; bases {sorted(ANCHOR_PRICES)}, "
        f"quotes {sorted(QUOTES)}"
    )
