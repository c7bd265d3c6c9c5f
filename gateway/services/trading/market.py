"""What a paper bot may trade: the store's published strategies, timeframes, the pair mapping.

The contract's provisioning fields are the user's view: `exchange` (kraken, binance, coinbase)
and pairs such as `BTC/USD` are recorded as asked. A dry-run bot trades each pair re-quoted in
its stake currency (`BTC/USD` on a USDT bot trades `BTC/USDT`), duplicates dropped. Whether the
exchange lists that pair is the pool's answer (it reads the market list of the exchange it is
configured for and refuses with 422 UNKNOWN_PAIR), not a copy of a market kept here. See
docs/trading.md.
"""

from __future__ import annotations

from gateway.errors import InvalidField
from runtime.botconfig import StrategyLibrary

EXCHANGES = ("kraken", "binance", "coinbase")
TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "1d")
# The quotes a paper wallet is kept in; every pair is re-quoted in one of them.
STAKE_CURRENCIES = ("EUR", "USD", "USDT")


def has_ladder(library: StrategyLibrary, strategy: str) -> bool:
    """Whether the strategy sells at take-profit ladder rungs (inherits TakeProfitLadder)."""
    return strategy in library.ladder


def check_strategy(library: StrategyLibrary, name: str) -> str:
    """`name` if the store publishes a strategy of that class name (422 otherwise)."""
    if name not in library.names:
        raise InvalidField(
            "strategy",
            f"Strategy not found: {name}. Available: {', '.join(library.names)}",
            "UNKNOWN_STRATEGY",
        )
    return name


def check_timeframe(timeframe: str) -> str:
    if timeframe not in TIMEFRAMES:
        raise InvalidField(
            "timeframe", f"timeframe must be one of {', '.join(TIMEFRAMES)}", "UNKNOWN_TIMEFRAME"
        )
    return timeframe


def market_pairs(pairs: list[str], stake_currency: str) -> list[str]:
    """The exchange pairs a bot trades for the pairs the user asked for (422 if malformed)."""
    mapped: list[str] = []
    for pair in pairs:
        base, sep, quote = pair.strip().upper().partition("/")
        if not sep or not base or quote not in STAKE_CURRENCIES:
            raise InvalidField(
                "tradingPairs", f"{pair!r} is not a pair like BTC/USD", "INVALID_PAIR"
            )
        market = f"{base}/{stake_currency}"
        if market not in mapped:
            mapped.append(market)
    return mapped
