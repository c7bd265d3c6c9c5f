"""Exact paper money: integer cents in the database and the services, JSON numbers on the wire."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from gateway.errors import InvalidField

CENT = Decimal("0.01")


def to_cents(value: Decimal | float | int | str) -> int:
    """Round an amount in currency units to whole cents (banker's rounding, no float error)."""
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    try:
        return int((amount / CENT).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    except InvalidOperation:  # more whole digits than Decimal's 28-digit precision holds
        raise ValueError(f"{value!r} is too large an amount") from None


def from_cents(cents: int) -> float:
    """Cents as a JSON number of currency units (exact for every realistic balance)."""
    return float(Decimal(cents) * CENT)


def parse_amount(
    value: Any, field: str, *, minimum_cents: int = 1, maximum_cents: int | None = None
) -> int:
    """A request amount (JSON number) as cents within bounds; 422 `INVALID_AMOUNT` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidField(field, f"{field} must be a number", "INVALID_TYPE")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidField(field, f"{field} must be a finite number", "INVALID_AMOUNT")
    try:
        cents = to_cents(value)
    except ValueError:
        raise InvalidField(field, f"{field} is too large", "INVALID_AMOUNT") from None
    if cents < minimum_cents:
        raise InvalidField(
            field, f"{field} must be at least {from_cents(minimum_cents):.2f}", "INVALID_AMOUNT"
        )
    if maximum_cents is not None and cents > maximum_cents:
        raise InvalidField(
            field, f"{field} must be at most {from_cents(maximum_cents):.2f}", "INVALID_AMOUNT"
        )
    return cents


def dollars(cents: int) -> str:
    """`$1,234.50` for messages."""
    return f"${from_cents(cents):,.2f}"
