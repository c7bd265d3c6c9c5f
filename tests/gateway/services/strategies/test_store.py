"""The store on a real git repository with real validation: seed, publish, versions, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from gateway.errors import BadInput, Conflict, NotFound
from gateway.services.strategies.store import SYSTEM_AUTHOR, Change, StrategyStore
from gateway.services.strategies.validation import StrategyRefused
from runtime.botconfig import strategies_dir
from tests.gateway.services.strategies.conftest import ADMIN, scalp_source

SHIPPED = ["EmaRsiStrategy", "SafeDefaultStrategy", "SandboxScalp1m"]


async def git_log(store: StrategyStore, *args: str) -> list[str]:
    raw = await store.repo.run("log", "--format=%H|%an|%ae|%s", *args)
    return raw.decode().splitlines()


async def test_first_open_seeds_the_shipped_strategies_as_one_system_commit(
    store: StrategyStore, make_store: Callable[..., StrategyStore]
) -> None:
    catalogue = await store.catalogue()
    assert [m.className for m in catalogue] == SHIPPED
    ema = await store.meta("EmaRsiStrategy")
    assert ema.fileName == "ema_rsi_strategy.py"
    assert ema.displayName == "Ema Rsi Strategy"
    assert ema.timeframes == ["15m"] and ema.version == 1
    assert ema.description.startswith("Rides short uptrends")
    log = await git_log(store)
    assert len(log) == 1
    _, name, email, subject = log[0].split("|")
    assert (name, email) == (SYSTEM_AUTHOR.name, SYSTEM_AUTHOR.email)
    assert subject == "Seed the store from strategies/"
    # The helper module is in the tree (strategies import it), but it is no strategy.
    tree = await store.tree(await store.head())
    assert "take_profit_ladder.py" in tree and "__init__.py" not in tree
    # Opening again (a restart) changes nothing.
    again = make_store()
    assert await again.open(strategies_dir()) == await store.head()
    assert len(await git_log(again)) == 1


async def test_upload_validates_then_commits_as_the_admin_with_report_and_versions(
    store: StrategyStore,
) -> None:
    source = scalp_source("MyStrategy", doc="Scalps dips.")
    change = Change("balancedStrat.py", source, "Add MyStrategy", {"riskLevel": "high"})
    [meta] = await store.publish(change, ADMIN)
    assert (meta.className, meta.fileName, meta.version) == ("MyStrategy", "balancedStrat.py", 1)
    assert meta.riskLevel == "high" and meta.description == "Scalps dips."
    _, name, email, subject = (await git_log(store))[0].split("|")
    assert (name, email, subject) == (ADMIN.name, ADMIN.email, "Add MyStrategy")
    report = await store.report("MyStrategy", 1)
    assert report is not None and report["passed"] is True
    assert report["strategy"] == "MyStrategy" and report["signals"]["enter_long"] > 0

    edited = source.replace("minimal_roi = {", 'minimal_roi = {"60": 0.0, ')
    [second] = await store.publish(Change("balancedStrat.py", edited, "Exit after 1h", {}), ADMIN)
    assert second.version == 2 and second.riskLevel == "high"
    versions = await store.versions("MyStrategy")
    assert [(v.version, v.message, v.author) for v in versions] == [
        (1, "Add MyStrategy", ADMIN.name),
        (2, "Exit after 1h", ADMIN.name),
    ]
    assert versions[1].commit == await store.head() and versions[0].commit != versions[1].commit
    assert await store.source("MyStrategy", 1) == source
    assert await store.source("MyStrategy", 2) == edited
    diff = await store.diff("MyStrategy", 1, 2)
    assert '+    minimal_roi = {"60": 0.0, ' in diff and '"version": 2' in diff
    # Other strategies did not get a version.
    assert (await store.meta("EmaRsiStrategy")).version == 1


async def test_editing_a_shared_base_file_versions_every_strategy_on_it(
    store: StrategyStore,
) -> None:
    base = (strategies_dir() / "take_profit_ladder.py").read_text(encoding="utf-8")
    edited = base + "\n# the ladder, reviewed\n"
    published = await store.publish(Change("take_profit_ladder.py", edited, "Review", {}), ADMIN)
    assert sorted(m.className for m in published) == SHIPPED
    assert all(m.version == 2 for m in published)


async def test_metadata_only_edit_is_a_version_without_code_change(store: StrategyStore) -> None:
    change = Change("ema_rsi_strategy.py", None, "Describe", {"features": ["EMA", "RSI"]})
    [meta] = await store.publish(change, ADMIN)
    assert meta.version == 2 and meta.features == ["EMA", "RSI"]
    with pytest.raises(BadInput) as caught:
        await store.publish(Change("ema_rsi_strategy.py", None, "x", {"version": 9}), ADMIN)
    assert caught.value.code == "INVALID_META"
    with pytest.raises(BadInput) as caught:
        await store.publish(Change("../evil.py", "x = 1\n", "x", {}), ADMIN)
    assert caught.value.code == "INVALID_FILE_NAME"


RAISES = scalp_source("Raises").replace(
    '        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=7)',
    '        raise RuntimeError("indicator blew up")',
)
LOOPS = scalp_source("Loops").replace(
    '        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=7)',
    "        while True:\n            pass",
)
EATS = scalp_source("Eats").replace(
    '        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=7)',
    "        hoard = []\n"
    "        while True:\n"
    "            hoard.append(bytearray(64 * 1024 * 1024))",
)
BAD = {
    "syntax": ("Broken.py", scalp_source("Broken").replace("def populate_indicators(", "def (")),
    "missing_module": (
        "Missing.py",
        scalp_source("Missing").replace("import talib", "import no_such_module_here\nimport talib"),
    ),
    "no_strategy": ("Nothing.py", '"""No strategy here."""\n\nclass Helper:\n    pass\n'),
    "runtime": ("Raises.py", RAISES),
    "timeout|cpu": ("Loops.py", LOOPS),
    "memory": ("Eats.py", EATS),
}


@pytest.mark.parametrize("kind", list(BAD))
async def test_invalid_code_is_refused_with_its_report_and_never_committed(
    store: StrategyStore, kind: str
) -> None:
    head = await store.head()
    file_name, source = BAD[kind]
    with pytest.raises(StrategyRefused) as caught:
        await store.publish(Change(file_name, source, "Try", {}), ADMIN)
    assert caught.value.status == 422
    [report] = caught.value.reports
    assert report["passed"] is False
    assert report["errors"][0]["kind"] in kind.split("|"), json.dumps(report)
    if kind == "syntax":
        assert report["errors"][0]["line"] is not None
    assert await store.head() == head
    assert await store.repo.run("status", "--porcelain") == b""
    names = [m.className for m in await store.catalogue()]
    assert names == SHIPPED


async def test_a_commit_blocked_by_another_writer_is_409_and_leaves_nothing_behind(
    store: StrategyStore,
) -> None:
    head = await store.head()
    lock = store.repo.root / ".git" / "index.lock"
    lock.write_text("")  # what a concurrent git process holds while it commits
    source = scalp_source("Blocked")
    with pytest.raises(Conflict) as caught:
        await store.publish(Change("blocked.py", source, "Blocked", {}), ADMIN)
    assert caught.value.code == "STORE_BUSY"
    assert await store.head() == head
    lock.unlink()
    change = Change("ema_rsi_strategy.py", None, "Tag it", {"features": ["EMA"]})
    await store.publish(change, ADMIN)
    changed = await store.repo.run("show", "--name-only", "--format=", "HEAD")
    assert changed.decode().split() == [
        "meta/EmaRsiStrategy.json",
        "meta/EmaRsiStrategy.report.json",
    ]


async def test_names_that_are_no_class_name_are_unknown_strategies(store: StrategyStore) -> None:
    # Found by tests/gateway/test_fuzz_openapi.py: git answers `HEAD:meta/x[.json` with an
    # empty file, which was a 500 (JSONDecodeError) on S-routes with such a class name.
    for name in ("\u00c4\u00a3\x92[", "[", "x[", "", "../meta/EmaRsiStrategy", "Ema Rsi", "x\r"):
        for read in (store.meta, store.versions):
            with pytest.raises(NotFound) as excinfo:
                await read(name)
            assert excinfo.value.code == "UNKNOWN_STRATEGY"
    assert (await store.meta("EmaRsiStrategy")).className == "EmaRsiStrategy"
