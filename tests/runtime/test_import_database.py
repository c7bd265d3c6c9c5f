"""`import_database` on add-bot: the pool copies an adopted bot's trades into its new folder."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from runtime.rpc.app import create_app
from runtime.settings import PoolSettings
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


def _trade_db(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE trades (id INTEGER PRIMARY KEY, pair TEXT)")
        conn.execute("INSERT INTO trades (pair) VALUES ('BTC/USDT')")
    conn.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _client(aiohttp_client: ClientFactory, settings: PoolSettings) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings, FakeLauncher()), headers=AUTH)


async def test_the_database_is_copied_once_and_not_stored(
    aiohttp_client: ClientFactory, make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings()
    source = _trade_db(tmp_path / "old.sqlite")
    before = _digest(source)
    client = await _client(aiohttp_client, settings)
    response = await client.post("/bots", json=bot_body("adopted", import_database=str(source)))
    assert response.status == 201, await response.json()

    copied = settings.data_dir / "bots" / "adopted" / "tradesv3.dryrun.sqlite"
    with sqlite3.connect(copied) as conn:
        assert conn.execute("SELECT id, pair FROM trades").fetchall() == [(1, "BTC/USDT")]
    conn.close()
    assert _digest(source) == before  # copied, never moved or opened for writing
    stored = json.loads((settings.data_dir / "pool.json").read_text())
    assert "import_database" not in json.dumps(stored)

    # A restart rewrites the config but keeps the bot's own (now diverging) database.
    with sqlite3.connect(copied) as conn:
        conn.execute("INSERT INTO trades (pair) VALUES ('ETH/USDT')")
    conn.close()
    restarted = await client.post("/bots/adopted/restart")
    assert restarted.status == 200, await restarted.json()
    with sqlite3.connect(copied) as conn:
        assert conn.execute("SELECT count(*) FROM trades").fetchone() == (2,)
    conn.close()


async def test_bad_import_databases_are_refused_and_leave_nothing(
    aiohttp_client: ClientFactory, make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings()
    client = await _client(aiohttp_client, settings)
    not_sqlite = tmp_path / "config.json"
    not_sqlite.write_text("{}")
    cases = [
        ("relative/trades.sqlite", "INVALID_FIELD"),
        (42, "INVALID_FIELD"),
        (str(tmp_path / "missing.sqlite"), "INVALID_IMPORT_DATABASE"),
        (str(tmp_path), "INVALID_IMPORT_DATABASE"),
        (str(not_sqlite), "INVALID_IMPORT_DATABASE"),
    ]
    for value, code in cases:
        response = await client.post("/bots", json=bot_body("b1", import_database=value))
        body = await response.json()
        assert (response.status, body["code"]) == (422, code), (value, body)
    bots_dir = settings.data_dir / "bots"
    assert not bots_dir.exists() or not any(bots_dir.iterdir())
    listed = await (await client.get("/bots")).json()
    assert listed["bots"] == []


async def test_a_refused_add_copies_nothing(
    aiohttp_client: ClientFactory, make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings()
    client = await _client(aiohttp_client, settings)
    source = _trade_db(tmp_path / "old.sqlite")
    first = await client.post("/bots", json=bot_body("b1"))
    assert first.status == 201
    # Same id again: refused before anything is copied; the existing bot's folder is kept.
    again = await client.post("/bots", json=bot_body("b1", import_database=str(source)))
    assert again.status == 409
    assert not (settings.data_dir / "bots" / "b1" / "tradesv3.dryrun.sqlite").exists()
