"""Parsing of query parameters with Binance's validation rules and error codes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from sandbox.catalog import INSTRUMENTS, Instrument
from sandbox.errors import BadParameterError, InvalidSymbolError, MissingParameterError

_SYMBOL = re.compile(r"^[A-Z0-9\-_.]{1,20}$")
_INTEGER = re.compile(r"^[0-9]{1,20}$")


def _illegal(name: str, legal: str) -> BadParameterError:
    return BadParameterError(
        f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def required(query: Mapping[str, str], name: str) -> str:
    """A parameter that must be present and non-empty."""
    value = query.get(name, "")
    if not value:
        raise MissingParameterError(name)
    return value


def symbol(
    value: str, name: str = "symbol", listed: Mapping[str, Instrument] = INSTRUMENTS
) -> Instrument:
    """A listed instrument, from its Binance id."""
    if not _SYMBOL.match(value):
        raise _illegal(name, _SYMBOL.pattern)
    try:
        return listed[value]
    except KeyError:
        raise InvalidSymbolError() from None


def symbols(
    query: Mapping[str, str], listed: Mapping[str, Instrument] = INSTRUMENTS
) -> list[Instrument] | None:
    """`symbol=X` or `symbols=["X","Y"]` as a list; None when neither is sent (all)."""
    if "symbol" in query and "symbols" in query:
        raise BadParameterError("Parameters 'symbol' and 'symbols' cannot be sent together.")
    if "symbol" in query:
        return [symbol(required(query, "symbol"), listed=listed)]
    if "symbols" not in query:
        return None
    raw = required(query, "symbols")
    try:
        names = json.loads(raw)
    except ValueError:
        names = None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise _illegal("symbols", '["SYMBOL1","SYMBOL2"]')
    return [symbol(name, "symbols", listed) for name in names]


def integer(
    query: Mapping[str, str],
    name: str,
    default: int | None = None,
    *,
    lo: int = 0,
    hi: int | None = None,
) -> int | None:
    """An optional non-negative integer, checked against [lo, hi]."""
    raw = query.get(name)
    if raw is None:
        return default
    if not _INTEGER.match(raw):
        raise _illegal(name, _INTEGER.pattern)
    value = int(raw)
    if value < lo or (hi is not None and value > hi):
        upper = "" if hi is None else f" and {hi}"
        raise BadParameterError(f"Parameter '{name}' must be between {lo}{upper}.")
    return value
