"""Defaults, merging, validation and FreqTrade mapping of risk settings and features (pure)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import BadInput, InvalidField
from gateway.services.risk import defaults as rd
from gateway.services.risk.config import freqtrade_overrides, stoploss_for


def test_defaults_are_the_contract_table() -> None:
    assert rd.default_settings() == {
        "enabled": True, "riskLevel": 50, "autoRebalance": True, "dcaEnabled": True
    }  # fmt: skip
    features = rd.default_features("2025-01-01T00:00:00.000Z", None)
    assert features["_meta"] == {
        "version": "2.0.0", "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": None
    }  # fmt: skip
    assert features["takeProfitLevels"]["levels"] == [
        {"percentage": 2, "exitPercent": 25},
        {"percentage": 5, "exitPercent": 50},
        {"percentage": 10, "exitPercent": 100},
    ]
    assert features["trailingStop"] == {
        "enabled": True, "activationPercent": 3, "callbackRate": 1.5, "lockInProfit": True,
        "stepSize": 0.5,
    }  # fmt: skip
    assert features["tradingSchedule"]["enabled"] is False
    assert features["tradingSchedule"]["activeHours"] == {"start": "00:00", "end": "23:59"}
    assert features["emergencyStop"]["triggers"]["btcDropTimeframe"] == 60
    assert features["orderExecution"]["icebergOrders"] == {"enabled": False, "visiblePercent": 20}
    assert features["compounding"]["compoundFrequency"] == "daily"
    rd.validate_features(features)
    # Each call is a fresh copy: callers may mutate theirs.
    features["trailingStop"]["enabled"] = False
    assert rd.default_features(None, None)["trailingStop"]["enabled"] is True


def test_partial_settings_merge_and_the_enabled_quirk() -> None:
    stored = {"enabled": False, "riskLevel": 20, "autoRebalance": False, "dcaEnabled": True}
    merged = rd.merge_settings(stored, {"riskLevel": 70.5})
    assert merged == {
        "enabled": True,
        "riskLevel": 70.5,
        "autoRebalance": False,
        "dcaEnabled": True,
    }
    assert rd.merge_settings(stored, {"enabled": False, "dcaEnabled": False}) == {
        "enabled": False, "riskLevel": 20, "autoRebalance": False, "dcaEnabled": False
    }  # fmt: skip
    # Unknown keys are not stored.
    assert "colour" not in rd.merge_settings(stored, {"colour": "red"})


@pytest.mark.parametrize("level", [-1, 100.01, 1e9, "50", None, True, float("nan")])
def test_risk_level_outside_0_to_100_is_the_old_400(level: Any) -> None:
    with pytest.raises(BadInput) as caught:
        rd.merge_settings(rd.default_settings(), {"riskLevel": level})
    error = caught.value
    assert error.status == 400 and error.code == "INVALID_RISK_LEVEL"
    assert error.message == "Risk level must be between 0 and 100"
    assert error.extra == {"error": "Risk level must be between 0 and 100", "field": "riskLevel"}


def test_settings_flags_must_be_booleans() -> None:
    with pytest.raises(InvalidField) as caught:
        rd.merge_settings(rd.default_settings(), {"dcaEnabled": "yes"})
    assert caught.value.field == "dcaEnabled" and caught.value.code == "INVALID_TYPE"
    with pytest.raises(BadInput):
        rd.merge_settings(rd.default_settings(), [1])


def test_features_merge_over_defaults_and_keep_extra_keys() -> None:
    body = {
        "trailingStop": {"callbackRate": 2, "clientOnly": "kept"},
        "somethingNew": {"a": [1, 2]},
        "_meta": {"version": "0.0.1", "createdAt": "forged"},
    }
    merged = rd.merge_features(body, "c", "u")
    assert merged["trailingStop"] == {
        "enabled": True, "activationPercent": 3, "callbackRate": 2, "lockInProfit": True,
        "stepSize": 0.5, "clientOnly": "kept",
    }  # fmt: skip
    assert merged["somethingNew"] == {"a": [1, 2]}
    assert merged["_meta"] == {"version": "2.0.0", "createdAt": "c", "updatedAt": "u"}
    assert merged["positionLimits"] == rd.default_features(None, None)["positionLimits"]
    # The body itself is not modified.
    assert body["_meta"] == {"version": "0.0.1", "createdAt": "forged"}


def _with(path: str, value: Any) -> dict[str, Any]:
    features = rd.default_features(None, None)
    target = features
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    target[last] = value
    return features


INVALID: list[tuple[str, Any, str, str]] = [
    ("takeProfitLevels.enabled", "true", "takeProfitLevels.enabled", "INVALID_TYPE"),
    ("takeProfitLevels.mode", "stairs", "takeProfitLevels.mode", "INVALID_VALUE"),
    ("takeProfitLevels.levels", "2%", "takeProfitLevels.levels", "INVALID_VALUE"),
    ("takeProfitLevels.levels", [{"percentage": 1, "exitPercent": 1}] * 11,
     "takeProfitLevels.levels", "INVALID_VALUE"),
    ("takeProfitLevels.levels", [{"percentage": 0, "exitPercent": 10}],
     "takeProfitLevels.levels[0].percentage", "INVALID_VALUE"),
    ("takeProfitLevels.levels", [{"percentage": 1001, "exitPercent": 10}],
     "takeProfitLevels.levels[0].percentage", "INVALID_VALUE"),
    ("takeProfitLevels.levels", [{"percentage": 5, "exitPercent": 101}],
     "takeProfitLevels.levels[0].exitPercent", "INVALID_VALUE"),
    ("takeProfitLevels.levels", [{"percentage": 5}],
     "takeProfitLevels.levels[0].exitPercent", "MISSING_FIELD"),
    ("takeProfitLevels.levels", [5], "takeProfitLevels.levels[0]", "INVALID_TYPE"),
    ("trailingStop.callbackRate", 0, "trailingStop.callbackRate", "INVALID_VALUE"),
    ("trailingStop.callbackRate", 50.5, "trailingStop.callbackRate", "INVALID_VALUE"),
    ("trailingStop.activationPercent", 1.5, "trailingStop.activationPercent", "INVALID_VALUE"),
    ("trailingStop.lockInProfit", 1, "trailingStop.lockInProfit", "INVALID_TYPE"),
    ("dailyLossProtection.maxDailyLossPercent", 0, "dailyLossProtection.maxDailyLossPercent",
     "INVALID_VALUE"),
    ("dailyLossProtection.maxDailyLossPercent", 100.5,
     "dailyLossProtection.maxDailyLossPercent", "INVALID_VALUE"),
    ("dailyLossProtection.pauseUntil", "forever", "dailyLossProtection.pauseUntil",
     "INVALID_VALUE"),
    ("tradingSchedule.activeHours", {"start": "24:00", "end": "23:59"},
     "tradingSchedule.activeHours.start", "INVALID_VALUE"),
    ("tradingSchedule.activeHours", {"start": "9:30", "end": "23:59"},
     "tradingSchedule.activeHours.start", "INVALID_VALUE"),
    ("tradingSchedule.activeHours", "always", "tradingSchedule.activeHours", "INVALID_TYPE"),
    ("tradingSchedule.activeDays", ["MON", "FUN"], "tradingSchedule.activeDays[1]",
     "INVALID_VALUE"),
    ("tradingSchedule.activeDays", ["MON", "MON"], "tradingSchedule.activeDays",
     "INVALID_VALUE"),
    ("tradingSchedule.timezone", "Mars/Olympus", "tradingSchedule.timezone", "INVALID_VALUE"),
    ("tradingSchedule.timezone", "../../etc/passwd", "tradingSchedule.timezone",
     "INVALID_VALUE"),
    ("positionLimits.maxPositionsPerAsset", 2.5, "positionLimits.maxPositionsPerAsset",
     "INVALID_TYPE"),
    ("positionLimits.maxPositionsPerAsset", 0, "positionLimits.maxPositionsPerAsset",
     "INVALID_VALUE"),
    ("volatilityAdjustment.method", "atr", "volatilityAdjustment.method", "INVALID_VALUE"),
    ("volatilityAdjustment.minSizeMultiplier", 0, "volatilityAdjustment.minSizeMultiplier",
     "INVALID_VALUE"),
    ("volatilityAdjustment.minSizeMultiplier", 2, "volatilityAdjustment.minSizeMultiplier",
     "INVALID_VALUE"),
    ("emergencyStop.triggers", {"btcDropPercent": -1}, "emergencyStop.triggers.btcDropPercent",
     "INVALID_VALUE"),
    ("emergencyStop.actions", {"closeAllPositions": "no"},
     "emergencyStop.actions.closeAllPositions", "INVALID_TYPE"),
    ("orderExecution.timeInForce", "GTD", "orderExecution.timeInForce", "INVALID_VALUE"),
    ("orderExecution.icebergOrders", {"enabled": False, "visiblePercent": 0},
     "orderExecution.icebergOrders.visiblePercent", "INVALID_VALUE"),
    ("compounding.compoundFrequency", "hourly", "compounding.compoundFrequency",
     "INVALID_VALUE"),
    ("compounding.reinvestPercent", float("inf"), "compounding.reinvestPercent",
     "INVALID_TYPE"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "field", "code"), INVALID)
def test_invalid_feature_values_name_the_field(
    path: str, value: Any, field: str, code: str
) -> None:
    body = _with(path, value)
    before = copy.deepcopy(body)
    with pytest.raises(InvalidField) as caught:
        rd.merge_features(body, None, None)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert caught.value.status == 422 and field in caught.value.message
    assert body == before


def test_a_feature_section_must_be_an_object() -> None:
    with pytest.raises(InvalidField) as caught:
        rd.merge_features({"trailingStop": None}, None, None)
    assert caught.value.field == "trailingStop"
    with pytest.raises(BadInput) as body_error:
        rd.merge_features("nope", None, None)
    assert body_error.value.code == "INVALID_BODY"


def test_summary_lists_every_feature() -> None:
    features = rd.default_features(None, None)
    assert rd.summary(features) == {
        "takeProfitLevels": True, "trailingStop": True, "dailyLossProtection": True,
        "tradingSchedule": False, "positionLimits": True, "volatilityAdjustment": True,
        "emergencyStop": True, "orderExecution": True, "compounding": False,
    }  # fmt: skip


def test_stoploss_formula_endpoints() -> None:
    assert stoploss_for(0) == -0.02
    assert stoploss_for(50) == -0.11
    assert stoploss_for(100) == -0.2


@given(st.floats(0, 100), st.floats(0, 100))
def test_stoploss_is_linear_and_monotonic(low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    assert -0.2 <= stoploss_for(high) <= stoploss_for(low) <= -0.02
    assert stoploss_for(low) == pytest.approx(-(0.02 + 0.0018 * low), abs=1e-6)


def test_default_overrides() -> None:
    overrides = freqtrade_overrides(
        rd.default_settings(), rd.default_features(None, None), paused=False, ladder=True
    )
    assert overrides == {
        "stoploss": -0.11,
        "trailing_stop": True,
        "trailing_stop_positive": 0.015,
        "trailing_stop_positive_offset": 0.03,
        "trailing_only_offset_is_reached": True,
        "minimal_roi": {"0": 0.1},
        "position_adjustment_enable": True,
        "take_profit_ladder": [
            {"profit": 0.02, "exit_share": 0.25},
            {"profit": 0.05, "exit_share": 0.5},
        ],
    }


def test_overrides_follow_the_switches() -> None:
    features = rd.default_features(None, None)
    features["trailingStop"]["enabled"] = False
    features["takeProfitLevels"]["enabled"] = False
    settings = {**rd.default_settings(), "riskLevel": 100, "enabled": False}
    assert freqtrade_overrides(settings, features, paused=True, ladder=True) == {
        "stoploss": -0.2, "trailing_stop": False, "initial_state": "paused"
    }  # fmt: skip
    features["takeProfitLevels"].update(enabled=True, mode="single", levels=[
        {"percentage": 7.5, "exitPercent": 100}, {"percentage": 3, "exitPercent": 50}
    ])  # fmt: skip
    single = freqtrade_overrides(settings, features, paused=False, ladder=True)
    assert single["minimal_roi"] == {"0": 0.075}  # single: the first level, whole
    assert "position_adjustment_enable" not in single and "take_profit_ladder" not in single
    features["takeProfitLevels"]["mode"] = "ladder"  # sorted: 3 % sells half, 7.5 % the rest
    ladder = freqtrade_overrides(settings, features, paused=False, ladder=True)
    assert ladder["minimal_roi"] == {"0": 0.075}
    assert ladder["position_adjustment_enable"] is True
    assert ladder["take_profit_ladder"] == [{"profit": 0.03, "exit_share": 0.5}]
    # A strategy without TakeProfitLadder: the top level closes, no position adjustment.
    assert freqtrade_overrides(settings, features, paused=False, ladder=False) == {
        "stoploss": -0.2, "trailing_stop": False, "minimal_roi": {"0": 0.075}
    }  # fmt: skip
    features["takeProfitLevels"]["levels"] = [{"percentage": 4, "exitPercent": 30}]
    assert freqtrade_overrides(settings, features, paused=False, ladder=True)["minimal_roi"] == {
        "0": 0.04
    }
    features["takeProfitLevels"]["levels"] = []
    assert "minimal_roi" not in freqtrade_overrides(settings, features, paused=False, ladder=True)
