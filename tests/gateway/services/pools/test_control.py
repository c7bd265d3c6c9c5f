"""PoolControl: a pool's answers and silences as the gateway's errors, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.errors import BadInput, Conflict, NotFound, PoolUnreachable, Unavailable
from gateway.services.pools.control import PoolControl, failure_text
from runtime.rpc.app import create_app as create_pool_app
from runtime.rpc.client import PoolClient
from runtime.settings import PoolSettings
from tests.fixtures.pools import POOL_TOKEN
from tests.helpers import free_port
from tests.runtime.conftest import bot_body
from tests.runtime.fakes import FakeLauncher

ServerFactory = Callable[..., Awaitable[TestServer]]


async def control_of(url: str, token: str = POOL_TOKEN) -> PoolControl:
    return PoolControl("p1", await PoolClient(url, token, timeout=10).__aenter__())


@pytest.fixture
async def pool_url(aiohttp_server: ServerFactory, tmp_path: Path) -> str:
    low = 20_000 + free_port() % 30_000
    settings = PoolSettings(
        pool_id="p1", data_dir=tmp_path / "p1", control_port=free_port(), api_port_min=low,
        api_port_max=low + 20, capacity=1, token=POOL_TOKEN, exchange_url="http://127.0.0.1:9",
    )  # fmt: skip
    server = await aiohttp_server(create_pool_app(settings, FakeLauncher()))
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def pool(pool_url: str) -> AsyncIterator[PoolControl]:
    control = await control_of(pool_url)
    yield control
    await control.close()


async def test_refusals_keep_the_pools_code_and_message(pool: PoolControl) -> None:
    added = await pool.add_bot(bot_body("b1"))
    assert added["bot_id"] == "b1" and (await pool.bot_status("b1"))["state"] == "starting"
    with pytest.raises(Conflict) as exists:
        await pool.add_bot(bot_body("b1"))
    assert (exists.value.status, exists.value.code) == (409, "BOT_EXISTS")
    with pytest.raises(Conflict) as full:
        await pool.add_bot(bot_body("b2"))
    assert full.value.code == "POOL_FULL" and "full" in full.value.message
    with pytest.raises(NotFound) as missing:
        await pool.start_bot("nobody")
    assert (missing.value.status, missing.value.code) == (404, "BOT_NOT_FOUND")
    with pytest.raises(BadInput) as invalid:
        await pool.update_bot("b1", {"owner": "eve"})
    assert (invalid.value.status, invalid.value.code) == (400, "UNKNOWN_FIELD")
    assert [b["bot_id"] for b in await pool.list_bots()] == ["b1"]
    await pool.remove_bot("b1")
    assert await pool.list_bots() == []


async def test_a_refused_token_is_an_unavailable_pool(pool_url: str) -> None:
    control = await control_of(pool_url, token="wrong")
    try:
        with pytest.raises(Unavailable) as refused:
            await control.health()
        assert not isinstance(refused.value, PoolUnreachable)
        assert refused.value.code == "POOL_UNAVAILABLE"
        assert refused.value.message.startswith("Pool p1 failed: ")
    finally:
        await control.close()


async def test_failures_and_nonsense_are_an_unavailable_pool(
    aiohttp_server: ServerFactory,
) -> None:
    async def broken(request: web.Request) -> web.Response:
        body = {"success": False, "code": "INTERNAL", "message": "disk full"}
        return web.json_response(body, status=500)

    async def nonsense(request: web.Request) -> web.Response:
        return web.Response(text="<html>proxy error</html>", status=200)

    app = web.Application()
    app.router.add_get("/health", broken)
    app.router.add_get("/bots", nonsense)
    server = await aiohttp_server(app)
    control = await control_of(str(server.make_url("")).rstrip("/"))
    try:
        with pytest.raises(Unavailable) as failed:
            await control.health()
        assert (failed.value.status, failed.value.code) == (503, "POOL_UNAVAILABLE")
        assert failed.value.message == "Pool p1 failed: disk full"
        with pytest.raises(Unavailable) as garbled:
            await control.list_bots()
        assert garbled.value.message == "Pool p1 failed: answer is not a JSON object"
    finally:
        await control.close()


async def test_silence_is_an_unreachable_pool(aiohttp_server: ServerFactory) -> None:
    dead = await control_of(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(PoolUnreachable) as refused:
            await dead.list_bots()
        assert (refused.value.status, refused.value.code) == (503, "POOL_UNAVAILABLE")
        assert refused.value.message == "Pool p1 is not reachable"  # no address for clients
        assert refused.value.reason and failure_text(refused.value).startswith(
            "Pool p1 is not reachable: "
        )
    finally:
        await dead.close()

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"success": True, "bots": []})

    app = web.Application()
    app.router.add_get("/bots", slow)
    server = await aiohttp_server(app)
    control = await control_of(str(server.make_url("")).rstrip("/"))
    try:
        with pytest.raises(PoolUnreachable) as late:
            await control.list_bots(timeout=0.2)
        assert late.value.reason == "TimeoutError"
    finally:
        await control.close()
