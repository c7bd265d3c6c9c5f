"""Factories for strategy folders: a valid strategy with one part replaced by broken code."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SHIPPED = REPO_ROOT / "strategies"
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "strategies"
# Where the check reads candles when a test never gets that far (it fails before the backtest).
UNREACHABLE_MARKET = "http://127.0.0.1:9"

TEMPLATE = """\
{header}
from freqtrade.strategy import IStrategy
from pandas import DataFrame


class {name}({bases}):
    timeframe = "5m"
    minimal_roi = {{"0": 0.05}}
    stoploss = -0.10
{attributes}
    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
{indicators}
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close"] < dataframe["open"], "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close"] > dataframe["open"], "exit_long"] = 1
        return dataframe
{methods}
"""

StrategyFolder = Callable[..., Path]


@pytest.fixture
def strategy_folder(tmp_path: Path) -> StrategyFolder:
    """`(file="my_strategy.py", name="Probe", header=..., indicators=..., ...) -> folder`.

    Each keyword replaces one part of a small valid strategy: `header` (module-level code),
    `bases`, `attributes` (class body lines), `indicators` (populate_indicators body),
    `methods` (more methods); `source` replaces the whole file. Extra files via `files`.
    """
    counter = iter(range(1_000))

    def make(
        *,
        file: str = "my_strategy.py",
        name: str = "Probe",
        header: str = "",
        bases: str = "IStrategy",
        attributes: str = "",
        indicators: str = "pass",
        methods: str = "",
        source: str | None = None,
        files: dict[str, str] | None = None,
    ) -> Path:
        folder = tmp_path / f"strategies-{next(counter)}"
        folder.mkdir()
        text = (
            source
            if source is not None
            else TEMPLATE.format(
                header=textwrap.dedent(header),
                name=name,
                bases=bases,
                attributes=textwrap.indent(textwrap.dedent(attributes), "    "),
                indicators=textwrap.indent(textwrap.dedent(indicators), "        "),
                methods=textwrap.indent(textwrap.dedent(methods), "    "),
            )
        )
        (folder / file).write_text(text)
        for relative, content in (files or {}).items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(textwrap.dedent(content))
        return folder

    return make
