"""Bots on a strategy version sent by the gateway: validation, checkouts, deploys, restore."""

from __future__ import annotations

import json
import stat
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from runtime.botconfig import read_sources, strategies_dir
from runtime.rpc.app import create_app
from runtime.settings import PoolSettings
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher
from tests.runtime.test_rpc_commands import expect

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]

COMMIT_A = "a" * 40
COMMIT_B = "b" * 40


def shipped_tree() -> dict[str, str]:
    """The shipped strategies as the store would send them (every .py of the tree)."""
    return read_sources(strategies_dir())


def version(commit: str = COMMIT_A, number: int = 1, **files: str) -> dict[str, Any]:
    return {"commit": commit, "version": number, "files": {**shipped_tree(), **files}}


async def _client(
    aiohttp_client: ClientFactory, settings: PoolSettings, launcher: FakeLauncher
) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings, launcher), headers=AUTH)


async def test_a_bot_runs_its_version_from_a_read_only_checkout(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    settings = make_settings()
    client = await _client(aiohttp_client, settings, FakeLauncher())
    body = bot_body("b1", strategy_version=version(**{"lib/extra.py": "X = 1\n"}))
    bot = (await expect(await client.post("/bots", json=body), 201))["bot"]
    checkout = settings.data_dir / "strategies" / COMMIT_A
    assert bot["strategy_version"] == {"commit": COMMIT_A, "version": 1}
    assert bot["strategy_applied"] is None and bot["strategy_applied_at"] is None
    config = json.loads((settings.data_dir / "bots" / "b1" / "config.json").read_text())
    assert config["strategy_path"] == str(checkout)
    assert read_sources(checkout) == body["strategy_version"]["files"]
    assert stat.S_IMODE(checkout.stat().st_mode) == 0o555
    assert stat.S_IMODE((checkout / "lib").stat().st_mode) == 0o555
    assert stat.S_IMODE((checkout / "lib" / "extra.py").stat().st_mode) == 0o444
    assert [p.name for p in checkout.parent.iterdir()] == [COMMIT_A]  # no temporary left
    stored = json.loads((settings.data_dir / "pool.json").read_text())["bots"]["b1"]
    assert stored["spec"]["strategy_version"] == {"commit": COMMIT_A, "version": 1}
    assert "files" not in json.dumps(stored)
