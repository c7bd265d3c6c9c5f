"""`python -m runtime.strategycheck`: one JSON object on stdout, exit 0; 2 for bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.strategycheck.__main__ import main
from tests.runtime.strategycheck.conftest import REPO_ROOT, UNREACHABLE_MARKET, StrategyFolder


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime.strategycheck", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_refused_strategy_still_exits_0_with_one_json_object(
    strategy_folder: StrategyFolder,
) -> None:
    folder = strategy_folder(indicators="return (")
    done = run_cli(
        *("--dir", str(folder), "--strategy", "Probe", "--market-url", UNREACHABLE_MARKET),
        *("--cpu-seconds", "30", "--memory-mb", "700", "--wall-seconds", "40"),
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    report = json.loads(line)
    assert report["passed"] is False and report["strategy"] == "Probe"
    assert report["errors"][0]["kind"] == "syntax"
    assert report["limits"] == {"cpu_seconds": 30, "memory_mb": 700, "wall_seconds": 40.0}


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"--dir": None}, "--dir"),
        ({"--dir": "/nonexistent"}, "is not a folder"),
        ({"--strategy": "my-strategy"}, "is not a class name"),
        ({"--market-url": "ftp://x"}, "http(s)"),
        ({"--pairs": "BTC/EUR"}, "BASE/USDT"),
        ({"--timeframe": "5 minutes"}, "is not a timeframe"),
        ({"--candles": "3"}, "--candles"),
        ({"--cpu-seconds": "0"}, "limits need"),
    ],
)
def test_bad_arguments_exit_2(
    changes: dict[str, str | None],
    complaint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    given = {"--dir": str(tmp_path), "--strategy": "Probe", "--market-url": "http://x"} | changes
    with pytest.raises(SystemExit) as exit_:
        main([item for key, value in given.items() if value is not None for item in (key, value)])
    assert exit_.value.code == 2
    assert complaint in capsys.readouterr().err
