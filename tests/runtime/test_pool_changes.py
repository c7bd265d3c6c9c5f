"""Commands that wait for a bot to stop: the pending change is visible and conflicts answer 409."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from runtime.rpc.app import create_app
from tests.helpers import async_wait_until
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeChild, FakeLauncher
from tests.runtime.test_rpc_commands import expect

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


async def _pool(
    aiohttp_client: ClientFactory, make_settings: Any
) -> tuple[TestClient[Any, Any], FakeChild]:
    """A pool with a well-behaved bot `calm` and a bot `slow` that ignores SIGTERM."""
    launcher = FakeLauncher()
    client = await aiohttp_client(create_app(make_settings(), launcher), headers=AUTH)
    await expect(await client.post("/bots", json=bot_body("calm")), 201)
    launcher.stubborn = True
    await expect(await client.post("/bots", json=bot_body("slow")), 201)
    launcher.stubborn = False
    return client, launcher.children[-1]


async def _pending(client: TestClient[Any, Any], bot_id: str, busy: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        bot = (await expect(await client.get(f"/bots/{bot_id}"), 200))["bot"]
        return dict(bot) if bot["busy"] == busy else None

    return await async_wait_until(check, timeout=5, interval=0.01, what=f"{bot_id} {busy}")


async def test_stopping_bot_answers_bot_stopping_while_others_change(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    client, slow = await _pool(aiohttp_client, make_settings)
    stop = asyncio.create_task(client.post("/bots/slow/stop"))
    bot = await _pending(client, "slow", "stopping")
    assert bot["state"] == "stopping" and bot["desired"] == "stopped"
    await expect(await client.post("/bots/slow/start"), 409, "BOT_STOPPING")
    await expect(await client.post("/bots/slow/restart"), 409, "BOT_STOPPING")
    await expect(await client.patch("/bots/slow", json={"dry_run_wallet": 5}), 409, "BOT_STOPPING")
    await expect(await client.delete("/bots/slow"), 409, "BOT_STOPPING")
    # The pool is not held up: another bot changes and is read meanwhile.
    assert (await expect(await client.post("/bots/calm/stop"), 200))["bot"]["state"] == "stopped"
    listed = (await expect(await client.get("/bots"), 200))["bots"]
    assert [(b["bot_id"], b["busy"]) for b in listed] == [("calm", None), ("slow", "stopping")]
    assert (await expect(await client.get("/health"), 200))["states"]["stopping"] == 1

    slow.exit(0)
    stopped = (await expect(await stop, 200))["bot"]
    assert stopped["state"] == "stopped" and stopped["busy"] is None
    assert (await expect(await client.post("/bots/slow/start"), 200))["bot"]["busy"] is None


async def test_restarting_bot_answers_bot_busy(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    client, slow = await _pool(aiohttp_client, make_settings)
    patch = asyncio.create_task(client.patch("/bots/slow", json={"dry_run_wallet": 2000}))
    bot = await _pending(client, "slow", "restarting")
    assert bot["state"] == "stopping" and bot["spec"]["dry_run_wallet"] == 2000
    await expect(await client.post("/bots/slow/start"), 409, "BOT_BUSY")
    await expect(await client.post("/bots/slow/stop"), 409, "BOT_BUSY")
    await expect(await client.post("/bots/slow/restart"), 409, "BOT_BUSY")
    await expect(await client.delete("/bots/slow"), 409, "BOT_BUSY")

    slow.exit(0)
    patched = await expect(await patch, 200)
    assert patched["restarted"] is True
    assert patched["bot"]["state"] == "starting" and patched["bot"]["busy"] is None
    assert patched["bot"]["pid"] != slow.pid


async def test_removing_bot_answers_bot_stopping_then_is_gone(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    client, slow = await _pool(aiohttp_client, make_settings)
    remove = asyncio.create_task(client.delete("/bots/slow"))
    await _pending(client, "slow", "removing")
    await expect(await client.post("/bots/slow/restart"), 409, "BOT_STOPPING")
    await expect(await client.post("/bots/slow/stop"), 409, "BOT_STOPPING")

    slow.exit(0)
    assert (await expect(await remove, 200))["removed"] is True
    await expect(await client.get("/bots/slow"), 404, "BOT_NOT_FOUND")
    listed = (await expect(await client.get("/bots"), 200))["bots"]
    assert [b["bot_id"] for b in listed] == ["calm"]
