"""Reading single values out of old MongoDB documents (BSON types, extended JSON leftovers)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bson import ObjectId, json_util
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.json_util import CANONICAL_JSON_OPTIONS

from gateway.services.money.money import to_cents


class BadValue(ValueError):
    """A field holds something the import cannot use; the message names the field."""


def legacy_id(value: Any) -> str:
    """A document id (`ObjectId`, string or number) as text."""
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict) and isinstance(value.get("$oid"), str):
        return str(value["$oid"])
    raise BadValue(f"not an id: {value!r}")


def checksum(document: dict[str, Any]) -> str:
    """A SHA-256 of the document's canonical extended JSON (key order does not matter)."""
    text = json_util.dumps(document, json_options=CANONICAL_JSON_OPTIONS, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def number(value: Any, name: str) -> Decimal:
    """A numeric field (int, double, Int64, Decimal128) as a Decimal."""
    if isinstance(value, bool):
        raise BadValue(f"{name} must be a number, got a boolean")
    if isinstance(value, Decimal128):
        result = value.to_decimal()
    elif isinstance(value, int | Int64 | float | Decimal):
        result = Decimal(str(value))
    else:
        raise BadValue(f"{name} must be a number, got {type(value).__name__}")
    if not result.is_finite():
        raise BadValue(f"{name} must be a finite number")
    return result


def cents(value: Any, name: str, *, minimum: int | None = 0) -> int:
    """A money field in currency units as integer cents, at least `minimum` when given."""
    result = to_cents(number(value, name))
    if minimum is not None and result < minimum:
        raise BadValue(f"{name} must not be negative")
    return result


def count(value: Any, name: str) -> int:
    """A non-negative whole number."""
    result = number(value, name)
    if result != result.to_integral_value() or result < 0:
        raise BadValue(f"{name} must be a whole number >= 0")
    return int(result)


def moment(value: Any, name: str) -> datetime:
    """A date: BSON date, ISO text, or milliseconds since the epoch; always aware UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadValue(f"{name} is not a date: {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(value, int | Int64 | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadValue(f"{name} is out of range: {value!r}") from None
    raise BadValue(f"{name} must be a date, got {type(value).__name__}")


def optional_moment(value: Any, name: str) -> datetime | None:
    return None if value is None else moment(value, name)


def text(value: Any, name: str, default: str = "") -> str:
    """A string field (missing or null gives `default`)."""
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadValue(f"{name} must be a string, got {type(value).__name__}")
    return value.strip()
