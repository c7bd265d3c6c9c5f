"""The check's first steps, in this process: compile, import as FreqTrade does, validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from freqtrade.enums import RunMode

from runtime.strategycheck.loading import (
    Found,
    Refused,
    check_required,
    compile_all,
    import_strategy_class,
    load_strategy,
)
from runtime.strategycheck.report import Failure
from tests.runtime.strategycheck.conftest import FIXTURES, SHIPPED, StrategyFolder


def import_class(folder: Path, name: str) -> Found:
    return import_strategy_class(folder, name, compile_all(folder))


def refusal(folder: Path, name: str = "Probe") -> Failure:
    with pytest.raises(Refused) as refused:
        check_required(import_class(folder, name), None)
    (failure,) = refused.value.failures
    return failure


def test_every_syntax_error_is_reported_with_its_file_and_line(
    strategy_folder: StrategyFolder,
) -> None:
    folder = strategy_folder(
        indicators="dataframe['x'] = (1 +",
        files={"Admin Strategies/old.py": "def broken(:\n    pass\n"},
    )
    with pytest.raises(Refused) as refused:
        compile_all(folder)
    failures = {f.file: f for f in refused.value.failures}
    assert set(failures) == {"my_strategy.py", "Admin Strategies/old.py"}
    assert {f.kind for f in failures.values()} == {"syntax"}
    assert failures["my_strategy.py"].line == 12
    assert failures["Admin Strategies/old.py"].line == 1
    assert "SyntaxError" in failures["my_strategy.py"].message


def test_a_missing_module_is_named(strategy_folder: StrategyFolder) -> None:
    folder = strategy_folder(header="import talib.abstract as ta\nimport pandas_ta_nowhere\n")
    failure = refusal(folder)
    assert failure.kind == "missing_module"
    assert "'pandas_ta_nowhere'" in failure.message
    assert (failure.file, failure.line) == ("my_strategy.py", 2)


def test_module_level_code_that_raises_is_an_import_error(strategy_folder: StrategyFolder) -> None:
    folder = strategy_folder(header="SETTINGS = {}\nTHRESHOLD = SETTINGS['rsi']\n")
    failure = refusal(folder)
    assert failure.kind == "import"
    assert "KeyError" in failure.message
    assert (failure.file, failure.line) == ("my_strategy.py", 2)


def test_a_wrong_class_name_lists_the_classes_found(strategy_folder: StrategyFolder) -> None:
    folder = strategy_folder(name="Other", files={"helpers.py": "class Helper:\n    pass\n"})
    failure = refusal(folder)
    assert failure.kind == "no_strategy"
    assert "no class Probe" in failure.message
    assert "Other (my_strategy.py:6)" in failure.message
    assert "Helper (helpers.py:1)" in failure.message


def test_a_folder_with_no_strategy_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.py").write_text("VALUE = 1\n")
    failure = refusal(tmp_path)
    assert failure.kind == "no_strategy"
    assert failure.message.endswith("classes found: none")


def test_a_class_only_in_a_subfolder_is_not_found_as_freqtrade_would_not(
    strategy_folder: StrategyFolder,
) -> None:
    folder = strategy_folder(name="Other")
    (folder / "Admin Strategies").mkdir()
    (folder / "Admin Strategies" / "probe.py").write_text(
        (folder / "my_strategy.py").read_text().replace("class Other", "class Probe")
    )
    failure = refusal(folder)
    assert failure.kind == "no_strategy"
    assert "Probe is defined in Admin Strategies/probe.py" in failure.message


@pytest.mark.parametrize("bases", ["object", "dict"])
def test_a_class_that_is_no_istrategy_is_refused(
    strategy_folder: StrategyFolder, bases: str
) -> None:
    failure = refusal(strategy_folder(bases=bases))
    assert failure.kind == "not_istrategy"
    assert (failure.file, failure.line) == ("my_strategy.py", 6)


def test_a_mixin_without_a_base_class_is_no_istrategy() -> None:
    failure = refusal(SHIPPED, "TakeProfitLadder")
    assert failure.kind == "not_istrategy"
    assert failure.file == "take_profit_ladder.py"


def test_class_names_need_not_match_file_names_and_bases_may_be_shared() -> None:
    found = import_class(FIXTURES, "MyStrategy")
    assert (found.cls.__module__, found.definition.file) == ("balancedStrat", "balancedStrat.py")
    fast = import_class(FIXTURES, "TrendFollowFast").cls
    assert fast.__module__ == "trend_variants"
    assert [base.__name__ for base in fast.__mro__[1:3]] == ["TrendBase", "IStrategy"]


def test_shipped_strategies_import_with_their_mixin() -> None:
    found = import_class(SHIPPED, "EmaRsiStrategy")
    assert "TakeProfitLadder" in [base.__name__ for base in found.cls.__mro__]
    check_required(found, None)


@pytest.mark.parametrize(
    ("attributes", "missing"),
    [
        ("stoploss = None", "stoploss"),
        ("timeframe = None", "timeframe"),
        ("minimal_roi = [0.05]", "minimal_roi"),
    ],
)
def test_required_attributes(
    strategy_folder: StrategyFolder, attributes: str, missing: str
) -> None:
    failure = refusal(strategy_folder(attributes=attributes))
    assert failure.kind == "missing_attribute"
    assert missing in failure.message
    assert (failure.file, failure.line) == ("my_strategy.py", 6)


def test_a_timeframe_given_for_the_check_stands_in_for_the_strategys(
    strategy_folder: StrategyFolder,
) -> None:
    found = import_class(strategy_folder(attributes="timeframe = None"), "Probe")
    check_required(found, "15m")


def test_an_abstract_method_left_out_is_named(strategy_folder: StrategyFolder) -> None:
    folder = strategy_folder()
    source = (folder / "my_strategy.py").read_text()
    (folder / "my_strategy.py").write_text(source.replace("populate_indicators", "indicators"))
    failure = refusal(folder)
    assert failure.kind == "missing_attribute"
    assert "populate_indicators" in failure.message


def resolver_config(folder: Path, name: str, user_data: Path) -> dict[str, Any]:
    return {
        "strategy": name,
        "strategy_path": str(folder),
        "user_data_dir": user_data,
        "runmode": RunMode.BACKTEST,
        "dry_run": True,
        "stake_currency": "USDT",
        "stake_amount": 100,
        "max_open_trades": 3,
        "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT"]},
        "entry_pricing": {},
        "exit_pricing": {},
        "pairlists": [{"method": "StaticPairList"}],
    }


def test_freqtrades_own_validation_speaks(strategy_folder: StrategyFolder, tmp_path: Path) -> None:
    folder = strategy_folder(attributes="can_short = True")
    with pytest.raises(Refused) as refused:
        load_strategy(resolver_config(folder, "Probe", tmp_path), folder)
    (failure,) = refused.value.failures
    assert failure.kind == "missing_attribute"
    assert "Short strategies cannot run in spot markets" in failure.message


def test_a_constructor_that_raises_is_a_runtime_error(
    strategy_folder: StrategyFolder, tmp_path: Path
) -> None:
    folder = strategy_folder(
        methods="""
        def bot_start(self, **kwargs) -> None:
            pass

        def __init__(self, config: dict) -> None:
            super().__init__(config)
            self.window = int(config["missing_key"])
        """
    )
    with pytest.raises(Refused) as refused:
        load_strategy(resolver_config(folder, "Probe", tmp_path), folder)
    (failure,) = refused.value.failures
    assert failure.kind == "runtime"
    assert "in Probe.__init__" in failure.message and "KeyError" in failure.message
    assert (failure.file, failure.line) == ("my_strategy.py", 28)


def test_realistic_strategies_load_through_freqtrade(tmp_path: Path) -> None:
    for name in ("MyStrategy", "EnhancedRiskManagedStrategy", "DCAStrategy", "TrendFollowSlow"):
        strategy = load_strategy(resolver_config(FIXTURES, name, tmp_path), FIXTURES)
        assert type(strategy).__name__ == name
