"""The control API in-process with the fake seam: validation, conflicts, persistence."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from runtime.credentials import bot_api_password
from runtime.rpc.app import create_app
from runtime.settings import PoolSettings
from tests.runtime.conftest import AUTH, TOKEN, bot_body
from tests.runtime.fakes import FakeLauncher

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


async def _client(aiohttp_client: ClientFactory, settings: PoolSettings, launcher: FakeLauncher):
    return await aiohttp_client(create_app(settings, launcher), headers=AUTH)


async def expect(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    body = await response.json()
    assert response.status == status, body
    if code is not None:
        assert body == {"success": False, "code": code, "message": body["message"]}
    return dict(body)


async def test_auth_is_required(aiohttp_client: ClientFactory, make_settings: Any) -> None:
    client = await aiohttp_client(create_app(make_settings(), FakeLauncher()))
    await expect(await client.get("/health"), 401, "UNAUTHORIZED")
    bad = {"Authorization": "Bearer nope"}
    await expect(await client.get("/bots", headers=bad), 401, "UNAUTHORIZED")


async def test_bad_input_answers_4xx_and_leaves_nothing(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    settings = make_settings()
    client = await _client(aiohttp_client, settings, FakeLauncher())
    await expect(await client.post("/bots", data=b"{nope"), 400, "BAD_REQUEST")
    await expect(await client.post("/bots", json=[1]), 400, "BAD_REQUEST")
    cases = [
        ({"owner": "x"}, "MISSING_FIELD"),
        (bot_body("bad id!"), "INVALID_BOT_ID"),
        (bot_body(pairs=["BTC/EUR"]), "INVALID_PAIR"),
        (bot_body(pairs=["NOPE/USDT"]), "UNKNOWN_PAIR"),
        (bot_body(strategy="NoSuchStrategy"), "UNKNOWN_STRATEGY"),
        (bot_body(dry_run_wallet=-5), "INVALID_FIELD"),
        (bot_body(dry_run_wallet=True), "INVALID_FIELD"),
        (bot_body(max_open_trades=0), "INVALID_FIELD"),
        (bot_body(colour="red"), "UNKNOWN_FIELD"),
        (bot_body(config_overrides={"db_url": "sqlite://"}), "FORBIDDEN_OVERRIDE"),
        (bot_body(config_overrides={"api_server": {}}), "FORBIDDEN_OVERRIDE"),
        (bot_body(config_overrides={"dry_run": False}), "FORBIDDEN_OVERRIDE"),
    ]
    for body, code in cases:
        await expect(await client.post("/bots", json=body), 422, code)
    assert not (settings.data_dir / "bots").exists() or not any(
        (settings.data_dir / "bots").iterdir()
    )
    await expect(await client.get("/bots/nobody"), 404, "BOT_NOT_FOUND")
    await expect(await client.delete("/bots/nobody"), 404, "BOT_NOT_FOUND")
    await expect(await client.post("/bots/nobody/start"), 404, "BOT_NOT_FOUND")
    await expect(await client.get("/bots/bad%20id"), 422, "INVALID_BOT_ID")
    await expect(await client.get("/nowhere"), 404, "NOT_FOUND")


async def test_lifecycle_conflicts_and_persistence(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    settings = make_settings(capacity=2)
    launcher = FakeLauncher()
    client = await _client(aiohttp_client, settings, launcher)
    added = (await expect(await client.post("/bots", json=bot_body("b1")), 201))["bot"]
    assert added["state"] == "starting"
    assert added["api_port"] == settings.api_port_min
    assert added["api"]["url"].endswith(str(settings.api_port_min))
    assert added["api"]["password"] == bot_api_password(TOKEN, "b1")
    folder = settings.data_dir / "bots" / "b1"
    config = json.loads((folder / "config.json").read_text())
    assert config["api_server"]["password"] == bot_api_password(TOKEN, "b1")
    assert config["dry_run"] is True
    assert config["dry_run_wallet"] == 1000
    assert config["api_server"]["listen_port"] == added["api_port"]
    assert len(config["api_server"]["jwt_secret_key"]) >= 32
    assert config["db_url"] == f"sqlite:///{folder / 'tradesv3.dryrun.sqlite'}"
    assert config["pairlists"] == [{"method": "StaticPairList"}]

    await expect(await client.post("/bots", json=bot_body("b1")), 409, "BOT_EXISTS")
    await expect(await client.post("/bots", json=bot_body("b2")), 201)
    await expect(await client.post("/bots", json=bot_body("b3")), 409, "POOL_FULL")
    assert not (settings.data_dir / "bots" / "b3").exists()

    await expect(await client.post("/bots/b1/start"), 409, "BOT_ALREADY_RUNNING")
    stopped = (await expect(await client.post("/bots/b1/stop"), 200))["bot"]
    assert stopped["state"] == "stopped"
    assert stopped["desired"] == "stopped"
    await expect(await client.post("/bots/b1/stop"), 409, "BOT_NOT_RUNNING")
    assert (await expect(await client.post("/bots/b1/start"), 200))["bot"]["state"] == "starting"
    restarted = (await expect(await client.post("/bots/b1/restart"), 200))["bot"]
    assert restarted["pid"] == launcher.children[-1].pid

    patched = await expect(await client.patch("/bots/b1", json={"dry_run_wallet": 2500}), 200)
    assert patched["restarted"] is True
    assert json.loads((folder / "config.json").read_text())["dry_run_wallet"] == 2500
    # restart=false stores the spec for the next start and leaves the live bot alone.
    children = len(launcher.children)
    stored_only = await expect(
        await client.patch("/bots/b1?restart=false", json={"dry_run_wallet": 3000}), 200
    )
    assert stored_only["restarted"] is False and len(launcher.children) == children
    assert json.loads((folder / "config.json").read_text())["dry_run_wallet"] == 2500
    assert stored_only["bot"]["spec"]["dry_run_wallet"] == 3000
    await expect(await client.post("/bots/b1/restart"), 200)
    assert json.loads((folder / "config.json").read_text())["dry_run_wallet"] == 3000
    bad_flag = client.patch("/bots/b1?restart=maybe", json={"dry_run_wallet": 1})
    await expect(await bad_flag, 422, "INVALID_FIELD")
    await expect(await client.patch("/bots/b1", json={"dry_run_wallet": 2500}), 200)
    await expect(await client.patch("/bots/b1", json={"owner": "eve"}), 422, "UNKNOWN_FIELD")
    await expect(await client.patch("/bots/b1", json={}), 400, "BAD_REQUEST")

    listed = (await expect(await client.get("/bots"), 200))["bots"]
    assert [b["bot_id"] for b in listed] == ["b1", "b2"]
    health = await expect(await client.get("/health"), 200)
    assert health["capacity"] == 2
    assert health["free_slots"] == 0
    assert health["states"]["starting"] == 2
    metrics = await client.get("/metrics")
    text = await metrics.text()
    assert 'cryptopilot_pool_bots{pool="test",state="starting"} 2.0' in text

    stored = json.loads((settings.data_dir / "pool.json").read_text())
    assert set(stored["bots"]) == {"b1", "b2"}
    assert stored["bots"]["b1"]["spec"]["dry_run_wallet"] == 2500
    assert "password" not in stored["bots"]["b1"]["api"]  # derived, never stored

    removed = await expect(await client.delete("/bots/b1"), 200)
    assert removed["removed"] is True
    assert not folder.exists()
    again = (await expect(await client.post("/bots", json=bot_body("b4")), 201))["bot"]
    assert again["api_port"] == settings.api_port_min  # the freed port is reused
    kept = await expect(await client.delete("/bots/b4?keep_data=true"), 200)
    assert kept["archived_to"]


async def test_restore_from_pool_json(aiohttp_client: ClientFactory, make_settings: Any) -> None:
    settings = make_settings()
    first = await _client(aiohttp_client, settings, FakeLauncher())
    await expect(await first.post("/bots", json=bot_body("b1")), 201)
    await expect(await first.post("/bots", json=bot_body("b2")), 201)
    await expect(await first.post("/bots/b2/stop"), 200)
    await first.close()

    launcher = FakeLauncher()
    second = await _client(aiohttp_client, settings, launcher)
    bots = {b["bot_id"]: b for b in (await expect(await second.get("/bots"), 200))["bots"]}
    assert bots["b1"]["state"] == "starting"
    assert bots["b2"]["state"] == "stopped"
    assert [c.launch.bot_id for c in launcher.children] == ["b1"]


async def test_a_restored_bot_starts_with_the_derived_password(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    settings = make_settings()
    first = await _client(aiohttp_client, settings, FakeLauncher())
    await expect(await first.post("/bots", json=bot_body("b1")), 201)
    await first.close()
    # A pool.json and a config of an earlier version: a random password, stored.
    store = settings.data_dir / "pool.json"
    stored = json.loads(store.read_text())
    stored["bots"]["b1"]["api"]["password"] = "random-from-before"  # noqa: S105
    store.write_text(json.dumps(stored))
    config_path = settings.data_dir / "bots" / "b1" / "config.json"
    config = json.loads(config_path.read_text())
    config["api_server"]["password"] = "random-from-before"  # noqa: S105
    config_path.write_text(json.dumps(config))

    launcher = FakeLauncher()
    second = await _client(aiohttp_client, settings, launcher)
    [bot] = (await expect(await second.get("/bots"), 200))["bots"]
    assert [c.launch.bot_id for c in launcher.children] == ["b1"]
    derived = bot_api_password(TOKEN, "b1")
    assert json.loads(config_path.read_text())["api_server"]["password"] == derived
    assert bot["api"]["password"] == derived
