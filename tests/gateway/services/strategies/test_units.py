"""The store's pure parts: class reading, display names, versions, change detection."""

from __future__ import annotations

from gateway.services.strategies.metadata import StrategyMeta, display_name
from gateway.services.strategies.sources import read_tree
from gateway.services.strategies.watch import changes, listing

BASE = "from freqtrade.strategy import IStrategy\n\nclass TrendBase(IStrategy):\n    pass\n"
VARIANTS = (
    "from trend_base import TrendBase\n\n"
    'class Fast(TrendBase):\n    """Quick."""\n    timeframe = "5m"\n\n'
    "class Mixin:\n    pass\n"
)


def test_read_tree_follows_bases_across_files_and_reports_broken_ones() -> None:
    tree = read_tree({"trend_base.py": BASE, "variants.py": VARIANTS, "bad.py": "class (:\n"})
    assert [c.name for c in tree.strategies()] == ["Fast", "TrendBase"]
    fast = tree.classes["Fast"]
    assert (fast.file, fast.docstring, fast.timeframe) == ("variants.py", "Quick.", "5m")
    assert not tree.inherits("Mixin", "IStrategy")
    assert tree.broken["bad.py"].startswith("line 1:")


def test_display_names() -> None:
    assert display_name("EmaRsiStrategy") == "Ema Rsi Strategy"
    assert display_name("HighFrequencyScalp1m") == "High Frequency Scalp 1m"
    assert display_name("balanced_strat") == "balanced strat"


def test_a_version_appends_to_the_changelog_and_round_trips() -> None:
    meta = StrategyMeta("Fast", "variants.py", "Fast", "Quick.")
    one = meta.next_version("Add", "root", "2026-01-01T00:00:00.000Z", riskLevel="high")
    two = one.next_version("Tune", "root", "2026-01-02T00:00:00.000Z")
    assert (two.version, two.riskLevel) == (2, "high")
    assert [e.message for e in two.changelog] == ["Add", "Tune"]
    assert StrategyMeta.from_json(two.to_json()) == two


def test_changes_between_catalogues_and_the_s1_items() -> None:
    a1 = StrategyMeta("A", "a.py", "A", "a", version=1)
    a2 = StrategyMeta("A", "a.py", "A", "a", version=2)
    b1 = StrategyMeta("B", "b.py", "B", "b", version=1)
    c1 = StrategyMeta("C", "c.py", "C", "c", version=1)
    assert changes([a1, b1], [a2, c1]) == [("edited", "A"), ("removed", "B"), ("added", "C")]
    assert changes([a1], [a1]) == []
    assert listing([a1]) == [
        {"name": "A", "className": "A", "description": "a", "fileName": "a.py"}
    ]
