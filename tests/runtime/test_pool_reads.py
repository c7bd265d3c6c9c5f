"""Reads see the pool at one instant, although their /proc part runs in a worker thread."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from runtime import status
from runtime.memory import Memory
from runtime.rpc.app import create_app
from runtime.status import CpuProbes
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher
from tests.runtime.test_rpc_commands import expect

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


class SlowProc:
    """Stands in for /proc: a process's "memory" is its pid; the first read, once armed,
    blocks until released, so the test can change the pool while a read is in its thread."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def memory(self, pid: int | None) -> Memory | None:
        if self.armed and threading.current_thread() is not threading.main_thread():
            self.armed = False
            self.entered.set()
            self.release.wait(10)
        return None if pid is None else Memory(rss_bytes=pid, pss_bytes=pid)


@pytest.fixture
def slow_proc(monkeypatch: pytest.MonkeyPatch) -> SlowProc:
    proc = SlowProc()
    monkeypatch.setattr(status, "process_memory", proc.memory)
    return proc


async def test_list_during_stop_remove_and_add_is_one_instant(
    aiohttp_client: ClientFactory, make_settings: Any, slow_proc: SlowProc
) -> None:
    launcher = FakeLauncher()
    client = await aiohttp_client(create_app(make_settings(), launcher), headers=AUTH)
    await expect(await client.post("/bots", json=bot_body("b1")), 201)
    await expect(await client.post("/bots", json=bot_body("b2")), 201)

    slow_proc.armed = True
    listing = asyncio.create_task(client.get("/bots"))
    assert await asyncio.to_thread(slow_proc.entered.wait, 10)
    # While the list reads "/proc" in its thread, the event loop changes every bot.
    await expect(await client.post("/bots/b1/stop"), 200)
    await expect(await client.delete("/bots/b2"), 200)
    await expect(await client.post("/bots", json=bot_body("b3")), 201)
    slow_proc.release.set()

    listed = (await expect(await listing, 200))["bots"]
    assert [b["bot_id"] for b in listed] == ["b1", "b2"]
    for bot in listed:
        assert bot["state"] == "starting" and bot["desired"] == "running"
        assert bot["pid"] is not None
        assert bot["memory"] == {"rss_bytes": bot["pid"], "pss_bytes": bot["pid"]}
    now = {b["bot_id"]: b for b in (await expect(await client.get("/bots"), 200))["bots"]}
    assert set(now) == {"b1", "b3"}
    assert now["b1"]["state"] == "stopped" and now["b1"]["memory"] is None


async def test_status_and_health_during_a_stop_are_one_instant(
    aiohttp_client: ClientFactory, make_settings: Any, slow_proc: SlowProc
) -> None:
    launcher = FakeLauncher()
    client = await aiohttp_client(create_app(make_settings(), launcher), headers=AUTH)
    await expect(await client.post("/bots", json=bot_body("b1")), 201)
    pid = launcher.children[-1].pid

    slow_proc.armed = True
    reading = asyncio.create_task(client.get("/bots/b1"))
    assert await asyncio.to_thread(slow_proc.entered.wait, 10)
    await expect(await client.post("/bots/b1/stop"), 200)
    slow_proc.release.set()
    bot = (await expect(await reading, 200))["bot"]
    assert (bot["state"], bot["pid"], bot["memory"]["pss_bytes"]) == ("starting", pid, pid)

    await expect(await client.post("/bots/b1/start"), 200)
    slow_proc.entered.clear()
    slow_proc.release.clear()
    slow_proc.armed = True
    health_reading = asyncio.create_task(client.get("/health"))
    assert await asyncio.to_thread(slow_proc.entered.wait, 10)
    await expect(await client.delete("/bots/b1"), 200)
    slow_proc.release.set()
    health = await expect(await health_reading, 200)
    assert health["bots"] == 1 and health["free_slots"] == 2
    assert health["states"]["starting"] == 1
    assert health["memory"]["bots_pss_bytes"] == launcher.children[-1].pid


def test_cpu_probes_belong_to_the_pool_and_drop_gone_processes() -> None:
    probes, other = CpuProbes(), CpuProbes()
    assert probes.percent([os.getpid(), None]) == 0.0  # the first reading only starts a probe
    assert set(probes._probes) == {os.getpid()}
    assert other._probes == {}
    assert probes.percent([2**22 + 12345]) == 0.0  # no such process: no probe kept
    assert probes._probes == {}
