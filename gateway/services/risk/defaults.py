"""Defaults and validation of a bot's risk settings (R1-R3) and feature object (R4-R6); pure.

The settings are four flat values; the feature object is the nested table of contract §3.9.
Clients deep-merge the feature object and send it back whole, so unknown keys are kept while
every known key is checked (type, range, enum). Nothing here touches the database or HTTP.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.errors import BadInput, InvalidField
from runtime.botconfig import deep_merge

FEATURES_VERSION = "2.0.0"
MAX_FEATURES_BYTES = 64 * 1024
MAX_LEVELS = 10
RISK_LEVEL_MESSAGE = "Risk level must be between 0 and 100"

DEFAULT_SETTINGS: dict[str, Any] = {
    "enabled": True,
    "riskLevel": 50,
    "autoRebalance": True,
    "dcaEnabled": True,
}
SETTING_FLAGS = ("enabled", "autoRebalance", "dcaEnabled")

_DEFAULT_FEATURES: dict[str, Any] = {
    "takeProfitLevels": {
        "enabled": True,
        "mode": "ladder",
        "levels": [
            {"percentage": 2, "exitPercent": 25},
            {"percentage": 5, "exitPercent": 50},
            {"percentage": 10, "exitPercent": 100},
        ],
    },
    "trailingStop": {
        "enabled": True,
        "activationPercent": 3,
        "callbackRate": 1.5,
        "lockInProfit": True,
        "stepSize": 0.5,
    },
    "dailyLossProtection": {
        "enabled": True,
        "maxDailyLossPercent": 5,
        "pauseUntil": "nextDay",
        "closePositions": False,
        "notifyUser": True,
    },
    "tradingSchedule": {
        "enabled": False,
        "activeHours": {"start": "00:00", "end": "23:59"},
        "activeDays": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
        "timezone": "UTC",
        "holidayMode": False,
    },
    "positionLimits": {
        "enabled": True,
        "maxPercentPerAsset": 30,
        "maxPositionsPerAsset": 3,
        "maxCorrelatedPositions": 2,
        "minTimeBetweenSameAsset": 3600,
    },
    "volatilityAdjustment": {
        "enabled": True,
        "method": "ATR",
        "minSizeMultiplier": 0.5,
        "maxSizeMultiplier": 1.5,
        "lookbackPeriod": 14,
        "scaleFactor": 1.0,
    },
    "emergencyStop": {
        "enabled": True,
        "triggers": {"btcDropPercent": 15, "portfolioDropPercent": 20, "btcDropTimeframe": 60},
        "actions": {"closeAllPositions": False, "pauseDurationHours": 4, "notifyUser": True},
    },
    "orderExecution": {
        "enabled": True,
        "useLimit": True,
        "limitOffsetPercent": 0.1,
        "postOnly": True,
        "timeInForce": "GTC",
        "icebergOrders": {"enabled": False, "visiblePercent": 20},
    },
    "compounding": {
        "enabled": False,
        "reinvestPercent": 80,
        "withdrawalThreshold": 1000,
        "compoundFrequency": "daily",
    },
}
FEATURE_NAMES = tuple(_DEFAULT_FEATURES)


class FeaturesTooLarge(BadInput):
    """A feature object over 64 KB: nothing a settings page sends is that big."""

    status = 413

    def __init__(self) -> None:
        super().__init__(
            f"Feature object is larger than {MAX_FEATURES_BYTES // 1024} KB", "BODY_TOO_LARGE"
        )


def default_settings() -> dict[str, Any]:
    return dict(DEFAULT_SETTINGS)


def default_features(created_at: str | None, updated_at: str | None) -> dict[str, Any]:
    """A fresh copy of the default feature object with its `_meta` block."""
    features = copy.deepcopy(_DEFAULT_FEATURES)
    features["_meta"] = meta(created_at, updated_at)
    return features


def meta(created_at: str | None, updated_at: str | None) -> dict[str, Any]:
    return {"version": FEATURES_VERSION, "createdAt": created_at, "updatedAt": updated_at}


# -- settings ---------------------------------------------------------------------------------


def merge_settings(stored: Mapping[str, Any], body: Any) -> dict[str, Any]:
    """R2: a partial body merged into the stored settings; an absent `enabled` means true."""
    if not isinstance(body, dict):
        raise BadInput("Request body must be a JSON object", "INVALID_BODY")
    for flag in SETTING_FLAGS:
        if flag in body and not isinstance(body[flag], bool):
            raise InvalidField(flag, f"{flag} must be a boolean", "INVALID_TYPE")
    if "riskLevel" in body:
        check_risk_level(body["riskLevel"])
    merged = {key: stored.get(key, value) for key, value in DEFAULT_SETTINGS.items()}
    merged.update({key: body[key] for key in DEFAULT_SETTINGS if key in body})
    # Quirk of the old gateway that the dashboard relies on: its partial saves never send
    # `enabled`, and every one of them switched the bot back on.
    merged["enabled"] = body.get("enabled", True)
    return merged


def check_risk_level(value: Any) -> None:
    """0-100 inclusive; the old message is in `message` and in `error` (the page reads either)."""
    if not _is_number(value) or not 0 <= value <= 100:
        raise BadInput(
            RISK_LEVEL_MESSAGE,
            "INVALID_RISK_LEVEL",
            extra={"error": RISK_LEVEL_MESSAGE, "field": "riskLevel"},
        )


def stored_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Settings read back from the database, defaults filling what is missing."""
    return {key: raw.get(key, value) for key, value in DEFAULT_SETTINGS.items()}


# -- features ---------------------------------------------------------------------------------


def merge_features(body: Any, created_at: str | None, updated_at: str | None) -> dict[str, Any]:
    """R5: the client's object over the defaults, known keys validated, `_meta` set by us."""
    if not isinstance(body, dict):
        raise BadInput("Request body must be a JSON object", "INVALID_BODY")
    for name in FEATURE_NAMES:
        if name in body and not isinstance(body[name], dict):
            raise InvalidField(name, f"{name} must be an object", "INVALID_TYPE")
    merged = deep_merge(_DEFAULT_FEATURES, {k: v for k, v in body.items() if k != "_meta"})
    validate_features(merged)
    merged["_meta"] = meta(created_at, updated_at)
    return merged


def summary(features: Mapping[str, Any]) -> dict[str, bool]:
    """Whether each known feature is switched on (R4/R5 `summary`)."""
    return {name: bool(features[name].get("enabled", False)) for name in FEATURE_NAMES}


Check = Callable[[Any, str], None]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise InvalidField(path, f"{path} must be a boolean", "INVALID_TYPE")


def _number(low: float, high: float, *, low_open: bool = False, integer: bool = False) -> Check:
    """A number in [low, high] ((low, high] when `low_open`), optionally whole."""

    def check(value: Any, path: str) -> None:
        if not _is_number(value) or (integer and not float(value).is_integer()):
            kind = "an integer" if integer else "a number"
            raise InvalidField(path, f"{path} must be {kind}", "INVALID_TYPE")
        too_low = value <= low if low_open else value < low
        if too_low or value > high:
            bracket = "(" if low_open else "["
            message = f"{path} must be in {bracket}{low:g}, {high:g}]"
            raise InvalidField(path, message, "INVALID_VALUE")

    return check


def _choice(*allowed: str) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, str) or value not in allowed:
            raise InvalidField(path, f"{path} must be one of {', '.join(allowed)}", "INVALID_VALUE")

    return check


_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _time(value: Any, path: str) -> None:
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise InvalidField(path, f"{path} must be a time like 09:30", "INVALID_VALUE")


def _days(value: Any, path: str) -> None:
    if not isinstance(value, list) or len(value) > len(_DAYS) or len(set(value)) != len(value):
        raise InvalidField(path, f"{path} must be a list of distinct days", "INVALID_VALUE")
    for index, day in enumerate(value):
        _choice(*_DAYS)(day, f"{path}[{index}]")


def _timezone(value: Any, path: str) -> None:
    if isinstance(value, str) and 0 < len(value) <= 64:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return
    raise InvalidField(path, f"{path} must be a time zone like UTC", "INVALID_VALUE")


def _levels(value: Any, path: str) -> None:
    if not isinstance(value, list) or len(value) > MAX_LEVELS:
        raise InvalidField(path, f"{path} must be a list of at most {MAX_LEVELS}", "INVALID_VALUE")
    for index, level in enumerate(value):
        _check_object(level, _LEVEL, f"{path}[{index}]", required=True)


_PERCENT = _number(0, 100, low_open=True)
_LEVEL: dict[str, Any] = {
    "percentage": _number(0, 1000, low_open=True),
    "exitPercent": _number(0, 100),
}
_SCHEMA: dict[str, Any] = {
    "takeProfitLevels": {
        "enabled": _boolean,
        "mode": _choice("ladder", "single"),
        "levels": _levels,
    },
    "trailingStop": {
        "enabled": _boolean,
        "activationPercent": _PERCENT,
        "callbackRate": _number(0, 50, low_open=True),
        "lockInProfit": _boolean,
        "stepSize": _PERCENT,
    },
    "dailyLossProtection": {
        "enabled": _boolean,
        "maxDailyLossPercent": _PERCENT,
        "pauseUntil": _choice("nextDay", "manual"),
        "closePositions": _boolean,
        "notifyUser": _boolean,
    },
    "tradingSchedule": {
        "enabled": _boolean,
        "activeHours": {"start": _time, "end": _time},
        "activeDays": _days,
        "timezone": _timezone,
        "holidayMode": _boolean,
    },
    "positionLimits": {
        "enabled": _boolean,
        "maxPercentPerAsset": _PERCENT,
        "maxPositionsPerAsset": _number(1, 100, integer=True),
        "maxCorrelatedPositions": _number(0, 100, integer=True),
        "minTimeBetweenSameAsset": _number(0, 7 * 86400, integer=True),
    },
    "volatilityAdjustment": {
        "enabled": _boolean,
        "method": _choice("ATR", "stdDev", "bollingerWidth"),
        "minSizeMultiplier": _number(0, 10, low_open=True),
        "maxSizeMultiplier": _number(0, 10, low_open=True),
        "lookbackPeriod": _number(1, 500, integer=True),
        "scaleFactor": _number(0, 10, low_open=True),
    },
    "emergencyStop": {
        "enabled": _boolean,
        "triggers": {
            "btcDropPercent": _PERCENT,
            "portfolioDropPercent": _PERCENT,
            "btcDropTimeframe": _number(1, 7 * 1440, integer=True),
        },
        "actions": {
            "closeAllPositions": _boolean,
            "pauseDurationHours": _number(0, 720),
            "notifyUser": _boolean,
        },
    },
    "orderExecution": {
        "enabled": _boolean,
        "useLimit": _boolean,
        "limitOffsetPercent": _number(0, 10),
        "postOnly": _boolean,
        "timeInForce": _choice("GTC", "IOC", "FOK", "PO"),
        "icebergOrders": {"enabled": _boolean, "visiblePercent": _PERCENT},
    },
    "compounding": {
        "enabled": _boolean,
        "reinvestPercent": _number(0, 100),
        "withdrawalThreshold": _number(0, 1e12),
        "compoundFrequency": _choice("daily", "weekly", "monthly"),
    },
}


def _check_object(
    value: Any, schema: Mapping[str, Any], path: str, *, required: bool = False
) -> None:
    """Check the known keys of `value` (missing ones too when `required`); others are kept."""
    if not isinstance(value, dict):
        raise InvalidField(path, f"{path} must be an object", "INVALID_TYPE")
    for key, rule in schema.items():
        name = f"{path}.{key}" if path else key
        if key not in value:
            if required:
                raise InvalidField(name, f"{name} is required", "MISSING_FIELD")
            continue
        if isinstance(rule, dict):
            _check_object(value[key], rule, name, required=required)
        else:
            rule(value[key], name)


def validate_features(features: Mapping[str, Any]) -> None:
    """Every known key of a merged feature object, then the rules that tie two fields."""
    _check_object(features, _SCHEMA, "", required=True)
    trailing = features["trailingStop"]
    # FreqTrade refuses to start when the trailing offset is not above the trailing distance.
    if trailing["activationPercent"] <= trailing["callbackRate"]:
        raise InvalidField(
            "trailingStop.activationPercent",
            "trailingStop.activationPercent must be greater than trailingStop.callbackRate",
            "INVALID_VALUE",
        )
    volatility = features["volatilityAdjustment"]
    if volatility["minSizeMultiplier"] > volatility["maxSizeMultiplier"]:
        raise InvalidField(
            "volatilityAdjustment.minSizeMultiplier",
            "volatilityAdjustment.minSizeMultiplier must not exceed maxSizeMultiplier",
            "INVALID_VALUE",
        )
