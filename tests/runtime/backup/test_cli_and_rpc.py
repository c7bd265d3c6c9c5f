"""`cryptopilot bot restore-from-turso` and the pool's `GET /backup`, against a real sqld."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from cli.main import main
from runtime.backup.replicator import Replicator
from runtime.backup.state import BotBackupState
from runtime.rpc.app import create_app
from runtime.rpc.commands.backup_status import BACKUP
from tests.fixtures.sqld import SqldServer
from tests.runtime.backup.conftest import bot_database
from tests.runtime.backup.test_replicator import local_rows
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


async def _one_round(replicator: Replicator) -> None:
    try:
        await replicator.run_due()
    finally:
        await replicator.close()


def test_restore_command_rebuilds_refuses_and_forces(
    sqld: SqldServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    source = bot_database(tmp_path / "old-disk", "b1", trades=3)
    replicator = Replicator(sqld.url, "", "pool-t", lambda: {"b1": source})
    asyncio.run(_one_round(replicator))
    monkeypatch.setenv("CRYPTOPILOT_POOL_TURSO_URL", sqld.url)
    data_dir = tmp_path / "pool"

    assert main(["bot", "restore-from-turso", "b1", "--data-dir", str(data_dir)]) == 0
    target = data_dir / "bots" / "b1" / "tradesv3.dryrun.sqlite"
    assert local_rows(target) == local_rows(source)
    assert "trades: 3" in capsys.readouterr().out
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp file left

    # An existing database is never replaced silently.
    target.write_bytes(b"newer")
    assert main(["bot", "restore-from-turso", "b1", "--data-dir", str(data_dir)]) == 1
    assert "--force" in capsys.readouterr().err
    assert target.read_bytes() == b"newer"
    stale_wal = target.with_name(target.name + "-wal")
    stale_wal.write_bytes(b"stale")
    args = ["bot", "restore-from-turso", "b1", "--data-dir", str(data_dir), "--force"]
    assert main(args) == 0
    assert local_rows(target) == local_rows(source)
    assert not stale_wal.exists()  # a stale journal would be replayed onto the restore

    # No backup of that bot, no URL, a bad bot id: refused with the reason.
    assert main(["bot", "restore-from-turso", "nobody", "--data-dir", str(data_dir)]) == 1
    assert "no backup of bot 'nobody'" in capsys.readouterr().err
    assert not (data_dir / "bots" / "nobody" / target.name).exists()
    assert main(["bot", "restore-from-turso", "../x", "--data-dir", str(data_dir)]) == 2
    monkeypatch.delenv("CRYPTOPILOT_POOL_TURSO_URL")
    assert main(["bot", "restore-from-turso", "b1", "--data-dir", str(data_dir)]) == 2
    assert "no backup URL" in capsys.readouterr().err


async def test_backup_endpoint_shows_each_pool_bot(
    aiohttp_client: ClientFactory, make_settings: Any, sqld: SqldServer
) -> None:
    off = await aiohttp_client(create_app(make_settings(), FakeLauncher()), headers=AUTH)
    answer = await (await off.get("/backup")).json()
    assert answer == {"success": True, "enabled": False, "bots": []}

    settings = make_settings(turso_url=sqld.url, turso_interval=0.5)
    app = create_app(settings, FakeLauncher())
    client = await aiohttp_client(app, headers=AUTH)
    assert (await client.post("/bots", json=bot_body("b1"))).status == 201
    await app[BACKUP].run_due()  # one round of the loop the supervisor runs
    answer = await (await client.get("/backup")).json()
    assert answer["enabled"] is True and answer["url"] == sqld.url
    # A fake bot writes no SQLite: nothing to back up yet, and not an error.
    assert [(b["bot_id"], b["status"]) for b in answer["bots"]] == [("b1", "no_database")]

    bot_database(settings.data_dir, "b1")
    app[BACKUP].states["b1"].next_attempt = 0.0
    await app[BACKUP].run_due()
    answer = await (await client.get("/backup")).json()
    bot = answer["bots"][0]
    assert (bot["status"], bot["consecutive_failures"], answer["degraded"]) == ("ok", 0, 0)
    assert bot["rows_sent"] >= 5 and bot["lag_s"] is not None


def test_prometheus_collector_reports_each_bot(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from runtime.backup.metrics import BackupCollector

    replicator = Replicator("http://127.0.0.1:9", "", "p1", dict, clock=lambda: 100.0)
    replicator.states["a"] = BotBackupState("a")
    replicator.states["a"].succeeded(90.0, 30.0, rows=3)
    replicator.states["b"] = BotBackupState("b")
    replicator.states["b"].failed(95.0, 30.0, "refused")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BackupCollector(replicator))
    text = generate_latest(registry).decode()
    assert 'cryptopilot_pool_backup_lag_seconds{bot_id="a",pool="p1"} 10.0' in text
    assert 'cryptopilot_pool_backup_degraded{bot_id="b",pool="p1"} 1.0' in text
    assert 'cryptopilot_pool_backup_consecutive_failures{bot_id="b",pool="p1"} 1.0' in text
