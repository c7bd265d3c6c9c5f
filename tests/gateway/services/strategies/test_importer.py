"""`import_folder` on the operator's kind of folder (API_CONTRACT §8), validated for real."""

from __future__ import annotations

import shutil
from pathlib import Path

from gateway.services.strategies.importer import import_folder
from gateway.services.strategies.store import Change, StrategyStore
from tests.gateway.services.strategies.conftest import ADMIN

FIXTURES = Path(__file__).parents[3] / "fixtures" / "strategies"


async def test_import_reports_copies_and_broken_files_and_commits_the_rest(
    store: StrategyStore, tmp_path: Path
) -> None:
    folder = tmp_path / "data-strategies"
    shutil.copytree(FIXTURES, folder)
    (folder / "half_written.py").write_text("class Half(IStrategy:\n    pass\n")
    (folder / "raises_on_load.py").write_text(
        "from freqtrade.strategy import IStrategy\n\n"
        "class RaisesOnLoad(IStrategy):\n"
        "    timeframe = '5m'\n"
        "    stoploss = -0.1\n"
        "    minimal_roi = {'0': 0.1}\n"
        "    def populate_indicators(self, dataframe, metadata):\n"
        "        raise ValueError('no indicators today')\n"
        "    def populate_entry_trend(self, dataframe, metadata):\n"
        "        return dataframe\n"
        "    def populate_exit_trend(self, dataframe, metadata):\n"
        "        return dataframe\n"
    )
    head = await store.head()

    report = await import_folder(store, folder, ADMIN)

    assert report.duplicates == {"Admin Strategies/balancedStrat.py": "balancedStrat.py"}
    assert report.broken["half_written.py"].startswith("line 1:")
    assert report.broken["raises_on_load.py"] == "its strategies failed validation"
    assert report.failed["RaisesOnLoad"]["errors"][0]["kind"] == "runtime"
    assert sorted(report.imported) == [
        "DCAStrategy",
        "EnhancedRiskManagedStrategy",
        "MyStrategy",
        "TrendFollowFast",
        "TrendFollowSlow",
    ]
    # The shared base file is imported with the two strategies built on it; its own class
    # (no timeframe) is no strategy to publish.
    assert report.bases == ["TrendBase"] and "TrendBase" not in report.failed
    assert report.commit == await store.head() != head
    # One commit by the admin; the file name of a class that differs from it is kept.
    log = (await store.repo.run("log", "--format=%an|%s", f"{head}..HEAD")).decode().split("\n")
    assert log[0] == f"{ADMIN.name}|Import 5 strategies from data-strategies/"
    mine = await store.meta("MyStrategy")
    assert (mine.fileName, mine.timeframes, mine.version) == ("balancedStrat.py", ["15m"], 1)
    fast = await store.meta("TrendFollowFast")
    assert fast.fileName == "trend_variants.py"
    tree = await store.tree(await store.head())
    assert "trend_base.py" in tree and "half_written.py" not in tree
    assert "raises_on_load.py" not in tree
    for name in report.imported:
        stored = await store.report(name, 1)
        assert stored is not None and stored["passed"] is True

    # Importing the same folder again finds nothing new and commits nothing.
    again = await import_folder(store, folder, ADMIN)
    assert again.commit is None and again.imported == []
    assert "balancedStrat.py" in again.unchanged

    # Editing the shared base file publishes a version of both strategies built on it.
    base = (folder / "trend_base.py").read_text() + "\n# reviewed\n"
    published = await store.publish(Change("trend_base.py", base, "Review the base", {}), ADMIN)
    assert [(m.className, m.version) for m in published] == [
        ("TrendFollowFast", 2),
        ("TrendFollowSlow", 2),
    ]
