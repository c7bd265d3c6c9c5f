"""Bots on a strategy version sent by the gateway: validation, checkouts, deploys, restore."""

from __future__ import annotations

import json
import stat
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from runtime.botconfig import read_sources, strategies_dir
from runtime.rpc.app import MAX_BODY_BYTES, create_app
from runtime.settings import PoolSettings
from runtime.spec import MAX_STRATEGY_FILE_BYTES
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher
from tests.runtime.test_rpc_commands import expect

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]

COMMIT_A = "a" * 40
COMMIT_B = "b" * 40


def version(
    commit: str = COMMIT_A, number: int = 1, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """A version as the store sends it: the shipped tree (every .py file), plus `extra`."""
    return {
        "commit": commit,
        "version": number,
        "files": {**read_sources(strategies_dir()), **(extra or {})},
    }


async def _client(
    aiohttp_client: ClientFactory, settings: PoolSettings, launcher: FakeLauncher
) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings, launcher), headers=AUTH)


def _config(settings: PoolSettings, bot_id: str) -> dict[str, Any]:
    return dict(json.loads((settings.data_dir / "bots" / bot_id / "config.json").read_text()))


async def test_a_bot_runs_its_version_from_a_read_only_checkout(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    settings = make_settings()
    client = await _client(aiohttp_client, settings, FakeLauncher())
    body = bot_body("b1", strategy_version=version(extra={"lib/extra.py": "X = 1\n"}))
    bot = (await expect(await client.post("/bots", json=body), 201))["bot"]
    checkout = settings.data_dir / "strategies" / COMMIT_A
    assert bot["strategy_version"] == {"commit": COMMIT_A, "version": 1}
    assert bot["strategy_applied"] is None and bot["strategy_applied_at"] is None
    assert _config(settings, "b1")["strategy_path"] == str(checkout)
    assert read_sources(checkout) == body["strategy_version"]["files"]
    assert stat.S_IMODE(checkout.stat().st_mode) == 0o555
    assert stat.S_IMODE((checkout / "lib").stat().st_mode) == 0o555
    assert stat.S_IMODE((checkout / "lib" / "extra.py").stat().st_mode) == 0o444
    assert [p.name for p in checkout.parent.iterdir()] == [COMMIT_A]  # no temporary left
    stored = json.loads((settings.data_dir / "pool.json").read_text())["bots"]["b1"]
    assert stored["spec"]["strategy_version"] == {"commit": COMMIT_A, "version": 1}
    assert "files" not in json.dumps(stored)
    # Without a version a bot runs the shipped folder, as before.
    plain = (await expect(await client.post("/bots", json=bot_body("b2")), 201))["bot"]
    assert plain["strategy_version"] is None
    assert _config(settings, "b2")["strategy_path"] == str(strategies_dir())


async def test_an_unknown_class_is_refused_before_anything_changes(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    settings = make_settings()
    launcher = FakeLauncher()
    client = await _client(aiohttp_client, settings, launcher)
    checkouts = settings.data_dir / "strategies"
    # Not defined in the version's tree (a mixin, a class only in a subfolder, none at all).
    for name, extra in [
        ("TakeProfitLadder", None),
        ("Hidden", {"lib/hidden.py": "class Hidden(IStrategy):\n    pass\n"}),
        ("NoSuchStrategy", None),
    ]:
        body = bot_body("b1", strategy=name, strategy_version=version(extra=extra))
        await expect(await client.post("/bots", json=body), 422, "UNKNOWN_STRATEGY")
    assert not checkouts.exists() and not (settings.data_dir / "bots" / "b1").exists()

    await expect(await client.post("/bots", json=bot_body("b1", strategy_version=version())), 201)
    spawned = len(launcher.children)
    before = (await expect(await client.get("/bots/b1"), 200))["bot"]
    deploy = {"strategy": "Nope", "strategy_version": version(COMMIT_B, 2)}
    await expect(await client.patch("/bots/b1", json=deploy), 422, "UNKNOWN_STRATEGY")
    await expect(await client.patch("/bots/b1", json={"strategy": "Nope"}), 422, "UNKNOWN_STRATEGY")
    await expect(
        await client.patch(
            "/bots/b1", json={"strategy_version": {"commit": COMMIT_B, "version": 2}}
        ),
        422,
        "INVALID_STRATEGY_VERSION",
    )
    after = (await expect(await client.get("/bots/b1"), 200))["bot"]
    assert after["spec"] == before["spec"] and after["pid"] == before["pid"]
    assert len(launcher.children) == spawned
    assert [p.name for p in checkouts.iterdir()] == [COMMIT_A]


async def test_checkouts_follow_their_bots(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    settings = make_settings()
    client = await _client(aiohttp_client, settings, FakeLauncher())
    root = settings.data_dir / "strategies"
    for bot_id in ("b1", "b2"):
        body = bot_body(bot_id, strategy_version=version())
        await expect(await client.post("/bots", json=body), 201)
    assert [p.name for p in root.iterdir()] == [COMMIT_A]

    deploy = {"strategy_version": version(COMMIT_B, 2)}
    stored = await expect(await client.patch("/bots/b1?restart=false", json=deploy), 200)
    assert stored["restarted"] is False and stored["applied"] is None
    assert stored["bot"]["strategy_version"] == {"commit": COMMIT_B, "version": 2}
    assert sorted(p.name for p in root.iterdir()) == [COMMIT_A, COMMIT_B]  # b2 keeps A
    await expect(await client.delete("/bots/b2"), 200)
    assert [p.name for p in root.iterdir()] == [COMMIT_B]

    # Another class of the same version: checked against the checkout, nothing written.
    other = await expect(
        await client.patch("/bots/b1?restart=false", json={"strategy": "EmaRsiStrategy"}), 200
    )
    assert other["bot"]["spec"]["strategy"] == "EmaRsiStrategy"
    # Back to the shipped strategies: the checkout goes, the config follows at the restart.
    back = {"strategy_version": None}
    await expect(await client.patch("/bots/b1?restart=false", json=back), 200)
    assert list(root.iterdir()) == []
    await expect(await client.post("/bots/b1/restart"), 200)
    assert _config(settings, "b1")["strategy_path"] == str(strategies_dir())


async def test_a_restored_bot_whose_checkout_is_gone_is_fatal(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    settings = make_settings()
    first = await _client(aiohttp_client, settings, FakeLauncher())
    await expect(await first.post("/bots", json=bot_body("b1", strategy_version=version())), 201)
    body = bot_body("b2", strategy_version=version(COMMIT_B, 2))
    await expect(await first.post("/bots", json=body), 201)
    await first.close()
    root = settings.data_dir / "strategies"
    (root / COMMIT_A).chmod(0o755)
    for path in (root / COMMIT_A).rglob("*"):
        path.chmod(0o755)
    for path in sorted((root / COMMIT_A).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (root / COMMIT_A).rmdir()
    (root / ("c" * 40)).mkdir()  # a checkout nobody uses any more

    launcher = FakeLauncher()
    second = await _client(aiohttp_client, settings, launcher)
    bots = {b["bot_id"]: b for b in (await expect(await second.get("/bots"), 200))["bots"]}
    assert bots["b1"]["state"] == "fatal"
    assert f"strategy checkout {root / COMMIT_A} is missing" in bots["b1"]["fatal_reason"]
    assert bots["b2"]["state"] == "starting"
    assert [c.launch.bot_id for c in launcher.children] == ["b2"]
    assert sorted(p.name for p in root.iterdir()) == [COMMIT_B]
    # The gateway deploys the version again; the bot starts from it.
    again = {"strategy_version": version()}
    await expect(await second.patch("/bots/b1", json=again), 200)
    assert (await expect(await second.post("/bots/b1/start"), 200))["bot"]["state"] == "starting"
    assert (root / COMMIT_A).is_dir()


async def test_a_deployed_bot_that_does_not_come_back_says_so(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    # The fake bots' APIs never answer: each start gives up after the start timeout.
    settings = make_settings(start_timeout=0.5, backoff_base=5.0)
    client = await _client(aiohttp_client, settings, FakeLauncher())
    await expect(await client.post("/bots", json=bot_body("b1")), 201)
    deploy = {"strategy": "EmaRsiStrategy", "strategy_version": version()}
    reply = await expect(await client.patch("/bots/b1", json=deploy), 200)
    assert reply["applied"] == "restart" and reply["restarted"] is True
    assert reply["healthy"] is False and reply["apply_s"] >= 0.5
    bot = reply["bot"]
    assert bot["state"] in {"exited", "backoff"}
    assert "API did not answer" in bot["last_exit"]
    assert bot["strategy_version"] == {"commit": COMMIT_A, "version": 1}
    assert bot["strategy_applied"] == "restart" and bot["strategy_applied_at"]
    stored = json.loads((settings.data_dir / "pool.json").read_text())["bots"]["b1"]
    assert stored["strategy_applied"] == "restart"


async def test_too_large_trees_are_413(aiohttp_client: ClientFactory, make_settings: Any) -> None:
    settings = make_settings()
    client = await _client(aiohttp_client, settings, FakeLauncher())
    big = version(extra={"big.py": "x" * (MAX_STRATEGY_FILE_BYTES + 1)})
    too_large = await client.post("/bots", json=bot_body("b1", strategy_version=big))
    await expect(too_large, 413, "STRATEGY_TOO_LARGE")
    huge = version(extra={"huge.py": "x" * MAX_BODY_BYTES})
    await expect(
        await client.post("/bots", json=bot_body("b1", strategy_version=huge)),
        413,
        "BODY_TOO_LARGE",
    )
    assert not (settings.data_dir / "strategies").exists()
