"""Collecting summaries: only the current process's, with ages; GET /summaries validates."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from runtime.rpc.app import create_app
from runtime.states import State
from runtime.summary.collect import collect
from runtime.summary.files import SummaryPaths, read_json, write_atomically
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher
from tests.runtime.test_rpc_commands import expect

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@dataclass(frozen=True)
class Bot:
    bot_id: str
    state: State
    pid: int | None
    folder: str


def publish(folder: Path, pid: int, at: float, *, closed: bool = True) -> None:
    folder.mkdir(exist_ok=True)
    paths = SummaryPaths.in_folder(folder)
    summary = {"at": at, "pid": pid, "state": "running", "status": [{"trade_id": 1}],
               "balance": {"total": 101.5}}  # fmt: skip
    write_atomically(paths.summary, json.dumps(summary).encode())
    if closed:
        trades = {"at": at, "pid": pid, "trades": [{"trade_id": 0}], "total_trades": 1}
        write_atomically(paths.closed, json.dumps(trades).encode())


def test_current_summaries_with_their_age(tmp_path: Path) -> None:
    publish(tmp_path / "a", 10, at=1000.0)
    found = collect([Bot("a", State.RUNNING, 10, str(tmp_path / "a"))], closed=True, now=1002.5)
    assert found["a"]["age_s"] == 2.5
    assert found["a"]["balance"] == {"total": 101.5}
    assert found["a"]["closed"]["trades"] == [{"trade_id": 0}]
    without = collect([Bot("a", State.RUNNING, 10, str(tmp_path / "a"))], closed=False, now=1000)
    assert "closed" not in without["a"] and without["a"]["age_s"] == 0.0


def test_no_summary_from_another_process_a_stopped_bot_or_a_missing_file(
    tmp_path: Path,
) -> None:
    for name in ("old", "half", "stopped"):
        (tmp_path / name).mkdir()
    publish(tmp_path / "old", 10, at=1000.0)  # written by the previous process
    publish(tmp_path / "half", 12, at=1000.0, closed=False)
    publish(tmp_path / "stopped", 13, at=1000.0)
    bots = [
        Bot("old", State.RUNNING, 11, str(tmp_path / "old")),
        Bot("half", State.RUNNING, 12, str(tmp_path / "half")),
        Bot("stopped", State.BACKOFF, None, str(tmp_path / "stopped")),
        Bot("new", State.RUNNING, 14, str(tmp_path / "new")),
    ]
    found = collect(bots, closed=True, now=1001)
    assert found == {
        "old": {"error": "Bot has not reported yet"},
        "half": {"error": "Bot has not reported its closed trades yet"},
        "stopped": {"error": "Bot is backoff"},
        "new": {"error": "Bot has not reported yet"},
    }
    assert "error" not in collect(bots[1:2], closed=False, now=1001)["half"]


def test_files_are_replaced_whole_and_cleared(tmp_path: Path) -> None:
    paths = SummaryPaths.in_folder(tmp_path)
    write_atomically(paths.summary, b'{"at": 1}')
    assert read_json(paths.summary) == {"at": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]
    paths.summary.write_bytes(b'{"at": ')
    assert read_json(paths.summary) is None
    paths.summary.write_bytes(b"[1]")
    assert read_json(paths.summary) is None
    paths.clear()
    paths.clear()  # already gone: fine
    assert read_json(paths.summary) is None


async def test_rpc_route_validates_and_filters(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    client = await aiohttp_client(create_app(make_settings(), FakeLauncher()), headers=AUTH)
    await expect(await client.get("/summaries?closed=maybe"), 400, "INVALID_QUERY")
    await expect(await client.post("/bots", json=bot_body("b1")), 201)
    await expect(await client.post("/bots", json=bot_body("b2")), 201)
    body = await expect(await client.get("/summaries?bots=b2,nobody&closed=true"), 200)
    assert body["success"] is True and isinstance(body["at"], float)
    assert body["bots"] == {"b2": {"error": "Bot is starting"}}
    everyone = await expect(await client.get("/summaries"), 200)
    assert sorted(everyone["bots"]) == ["b1", "b2"]
