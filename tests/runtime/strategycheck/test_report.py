"""The report's JSON contract (common to the CLI, `check` and the store that keeps it)."""

from __future__ import annotations

import json

import pytest

from runtime.strategycheck import KINDS, Failure, Limits, Report, Signals


def test_kinds_are_the_contracts() -> None:
    assert sorted(KINDS) == sorted(
        [
            "syntax",
            "import",
            "missing_module",
            "no_strategy",
            "not_istrategy",
            "missing_attribute",
            "runtime",
            "timeout",
            "memory",
            "cpu",
            "backtest",
        ]
    )


def test_a_report_is_the_contracts_json_object_and_reads_back() -> None:
    report = Report(
        strategy="MyStrategy",
        limits=Limits(cpu_seconds=30, memory_mb=768, wall_seconds=45.5),
        errors=(Failure("runtime", "boom", "my.py", 12), Failure("cpu", "killed")),
        trades=3,
        signals=Signals(enter_long=10, exit_long=4),
        duration_s=4.21337,
        freqtrade_version="2026.9",
    )
    raw = json.loads(json.dumps(report.to_dict()))
    assert raw == {
        "passed": False,
        "strategy": "MyStrategy",
        "errors": [
            {"kind": "runtime", "message": "boom", "file": "my.py", "line": 12},
            {"kind": "cpu", "message": "killed", "file": None, "line": None},
        ],
        "trades": 3,
        "signals": {"enter_long": 10, "exit_long": 4},
        "duration_s": 4.213,
        "freqtrade_version": "2026.9",
        "limits": {"cpu_seconds": 30, "memory_mb": 768, "wall_seconds": 45.5},
    }
    assert Report.from_dict(raw) == Report(
        strategy="MyStrategy",
        limits=report.limits,
        errors=report.errors,
        trades=3,
        signals=report.signals,
        duration_s=4.213,
        freqtrade_version="2026.9",
    )


def test_passed_means_no_errors() -> None:
    clean = Report(strategy="S", limits=Limits())
    assert clean.passed and clean.to_dict()["passed"] is True
    assert clean.to_dict()["errors"] == []
    assert clean.freqtrade_version  # read from the installed package's metadata
    with pytest.raises(ValueError, match="exactly when"):
        Report.from_dict(clean.to_dict() | {"passed": False})


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown error kind"):
        Failure.from_dict({"kind": "oops", "message": "", "file": None, "line": None})


def test_the_default_limits_and_their_bounds() -> None:
    assert Limits().to_dict() == {"cpu_seconds": 60, "memory_mb": 1024, "wall_seconds": 120.0}
    for bad in ({"cpu_seconds": 0}, {"memory_mb": 10}, {"wall_seconds": 0}):
        with pytest.raises(ValueError, match="limits need"):
            Limits(**bad)
