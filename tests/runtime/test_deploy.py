"""When FreqTrade's reload runs exactly what a restart would: the decision, from the sources."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from runtime.deploy import reload_suffices, runs, same_after_reload

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


async def test_a_bot_runs_the_strategy_once_it_started_after_the_deploy_and_looped() -> None:
    since = datetime(2026, 1, 1, 12, 0, 0, 500_000, tzinfo=UTC).timestamp()
    answers: dict[str, Any] = {}

    async def show_config(request: web.Request) -> web.Response:
        return web.json_response({"strategy": answers["strategy"]})

    async def health(request: web.Request) -> web.Response:
        return web.json_response(answers["health"])

    app = web.Application()
    app.router.add_get("/api/v1/show_config", show_config)
    app.router.add_get("/api/v1/health", health)
    server = TestServer(app)
    await server.start_server()
    port = server.port
    assert port is not None
    try:
        async with aiohttp.ClientSession() as session:
            cases = [
                ("S", "2026-01-01 12:00:00.600000+00:00", "2026-01-01 12:00:01", True),
                ("T", "2026-01-01 12:00:00.600000+00:00", "2026-01-01 12:00:01", False),
                # Started in the same second, but before the deploy: the old instance.
                ("S", "2026-01-01 12:00:00.400000+00:00", "2026-01-01 12:00:01", False),
                ("S", "2026-01-01 12:00:00.600000", None, False),  # no loop yet
                ("S", "2026-01-01 12:00:00.600000", "2026-01-01 12:00:00.700000", True),
            ]
            for strategy, started, looped, expected in cases:
                answers.update(
                    strategy=strategy, health={"bot_startup": started, "last_process": looped}
                )
                assert await runs(session, port, {}, "S", since) is expected
    finally:
        await server.close()
