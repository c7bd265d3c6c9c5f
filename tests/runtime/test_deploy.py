"""When FreqTrade's reload runs exactly what a restart would: the decision, from the sources."""

from __future__ import annotations

from pathlib import Path

from runtime.deploy import reload_suffices, same_after_reload

STRATEGY = "class S(Base, IStrategy):\n    stoploss = -0.1\n"
OTHER = "class T(IStrategy):\n    pass\n"
BASE = "class Base:\n    pass\n"
TREE = {"s.py": STRATEGY, "t.py": OTHER, "lib/base.py": BASE}


def test_a_change_of_only_the_file_defining_the_class_reloads() -> None:
    assert same_after_reload(TREE, TREE, "S")
    assert same_after_reload(TREE, {**TREE, "s.py": STRATEGY + "    x = 1\n"}, "S")
    # Another class of an unchanged tree, and new files nobody imported yet.
    assert same_after_reload(TREE, TREE, "T")
    assert same_after_reload(TREE, {**TREE, "u.py": OTHER.replace("T", "U")}, "U")


def test_any_other_change_restarts() -> None:
    # A base class or mixin stays cached in sys.modules across a reload.
    assert not same_after_reload(TREE, {**TREE, "lib/base.py": BASE + "Y = 2\n"}, "S")
    # Another strategy's file, maybe imported by this one.
    assert not same_after_reload(TREE, {**TREE, "t.py": OTHER + "    x = 1\n"}, "S")
    # A file that went away (a restart would fail to import it, a reload would not notice).
    assert not same_after_reload(TREE, {"s.py": STRATEGY, "lib/base.py": BASE}, "S")
    # A class defined nowhere at the top, or only below it, is never reloaded.
    assert not same_after_reload(TREE, TREE, "Base")
    assert not same_after_reload(TREE, TREE, "Missing")


def test_the_decision_reads_both_folders(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    for folder, tree in ((before, TREE), (after, {**TREE, "s.py": STRATEGY + "# v2\n"})):
        for relative, source in tree.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(source)
    assert reload_suffices(before, after, "S")
    assert not reload_suffices(before, after, "T")  # T's file may import the changed s.py
    assert not reload_suffices(tmp_path / "gone", after, "S")  # the old tree is unknown
