"""`GET/POST /sync` on the control API, and the sync settings' checks."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from envsettings import SettingsError
from runtime.rpc.app import create_app
from runtime.settings import load_settings
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher

ClientFactory = Callable[..., Awaitable[Any]]


async def test_sync_off_answers_disabled_and_refuses_a_pass(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    client = await aiohttp_client(create_app(make_settings(), FakeLauncher()), headers=AUTH)
    response = await client.get("/sync")
    assert (response.status, await response.json()) == (200, {"success": True, "enabled": False})
    response = await client.post("/sync")
    body = await response.json()
    assert (response.status, body["code"]) == (409, "SYNC_OFF")


async def test_sync_now_copies_the_pool_bots(
    aiohttp_client: ClientFactory, make_settings: Any, target_url: str, bot_db: Path
) -> None:
    settings = make_settings(sync_database_url=target_url, sync_interval=1.0)
    client = await aiohttp_client(create_app(settings, FakeLauncher()), headers=AUTH)
    assert (await client.post("/bots", json=bot_body("b1"))).status == 201
    assert (await client.post("/bots", json=bot_body("b2"))).status == 201
    # SQLite's backup copies the WAL's content too (a file copy would not).
    with (
        sqlite3.connect(bot_db) as source,
        sqlite3.connect(settings.data_dir / "bots" / "b1" / "tradesv3.dryrun.sqlite") as copy,
    ):
        source.backup(copy)
    source.close()
    copy.close()

    response = await client.post("/sync")
    body = await response.json()
    assert response.status == 200, body
    assert body["enabled"] is True and body["target"]["ok"] is True
    by_id = {bot["bot_id"]: bot for bot in body["bots"]}
    assert (by_id["b1"]["trades"], by_id["b1"]["orders"], by_id["b1"]["last_error"]) == (2, 2, "")
    assert "not found" in by_id["b2"]["last_error"]  # no file yet: recorded, others unharmed
    state = await (await client.get("/sync")).json()
    assert [bot["bot_id"] for bot in state["bots"]] == ["b1", "b2"]
    assert state["last_pass_at"] is not None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SYNC_DATABASE_URL": "postgresql://x/y"}, "must start with"),
        ({"SYNC_DATABASE_URL": "sqlite+aiosqlite:///x", "SYNC_INTERVAL": "45"}, "at most 30"),
    ],
)
def test_sync_settings_are_checked(env: dict[str, str], message: str) -> None:
    environ = {
        "CRYPTOPILOT_POOL_TOKEN": "t",
        **{f"CRYPTOPILOT_POOL_{k}": v for k, v in env.items()},
    }
    with pytest.raises(SettingsError, match=message) as refused:
        load_settings(environ=environ)
    assert env["SYNC_DATABASE_URL"] not in str(refused.value)
