"""Reading the strategy library from source: strategies, mixins, and who sells at ladder rungs."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.botconfig import check_strategy, read_library, strategy_names
from runtime.errors import InvalidInput


def test_strategies_are_istrategy_subclasses_directly_or_through_another(tmp_path: Path) -> None:
    (tmp_path / "mixin.py").write_text("class TakeProfitLadder:\n    pass\n")
    (tmp_path / "base.py").write_text(
        "from freqtrade.strategy import IStrategy\n"
        "class Plain(IStrategy):  # type: ignore[misc]\n    pass\n"
        "class Laddered(TakeProfitLadder, IStrategy):\n    pass\n"
        "class Helper(object):\n    pass\n"
    )
    (tmp_path / "derived.py").write_text(
        "import strategies.base\n"
        "class Tuned(strategies.base.Laddered):\n    pass\n"
        "class Loop(Loop2):\n    pass\nclass Loop2(Loop):\n    pass\n"
    )
    library = read_library(tmp_path)
    assert library.names == ("Laddered", "Plain", "Tuned")  # no mixin, helper or cycle
    assert library.ladder == frozenset({"Laddered", "Tuned"})


def test_the_shipped_library() -> None:
    library = read_library()
    bundled = {"SandboxScalp1m", "EmaRsiStrategy", "SafeDefaultStrategy"}
    assert bundled <= set(strategy_names()) and bundled <= library.ladder
    assert "TakeProfitLadder" not in library.names
    check_strategy("SandboxScalp1m")
    with pytest.raises(InvalidInput) as refused:
        check_strategy("TakeProfitLadder")
    assert refused.value.code == "UNKNOWN_STRATEGY"
