"""Pools announce themselves to a real gateway (our own app) and the gateway records them."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from envsettings import SettingsError
from gateway.app import create_app
from gateway.keys import SERVICES
from gateway.settings import Settings
from runtime.announce import Announcer, announcement, control_url
from runtime.settings import PoolSettings
from tests.fixtures.pools import POOL_TOKEN, REPO, running_pool
from tests.helpers import async_wait_until

ServerFactory = Callable[..., Awaitable[TestServer]]


def pool_settings(**overrides: Any) -> PoolSettings:
    values: dict[str, Any] = {
        "pool_id": "edge-1",
        "control_port": 18555,
        "capacity": 4,
        "token": POOL_TOKEN,
        "gateway_url": "http://127.0.0.1:9/",
    }
    return PoolSettings(**{**values, **overrides})


async def gateway(aiohttp_server: ServerFactory, tmp_path: Path) -> TestServer:
    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}",
        jwt_secret="test-secret-" + "x" * 32,
        bcrypt_rounds=4,
        pool_token=POOL_TOKEN,
        strategy_repo=str(tmp_path / "strategies-repo"),
    )
    return await aiohttp_server(create_app(settings))


def test_the_control_url_defaults_to_the_control_address() -> None:
    assert control_url(pool_settings()) == "http://127.0.0.1:18555"
    assert control_url(pool_settings(public_url="https://pool.example/x/")) == (
        "https://pool.example/x"
    )
    assert control_url(pool_settings(control_host="::1")) == "http://[::1]:18555"
    wildcard = pool_settings(control_host="0.0.0.0")  # noqa: S104 - not bound, only named
    assert control_url(wildcard) == f"http://{socket.gethostname()}:18555"
    assert announcement(pool_settings(host_label="rack-2")) == {
        "poolId": "edge-1",
        "controlUrl": "http://127.0.0.1:18555",
        "hostLabel": "rack-2",
        "capacity": 4,
    }


def test_announce_settings_are_checked() -> None:
    pool_settings()
    with pytest.raises(SettingsError, match="CRYPTOPILOT_POOL_GATEWAY_URL='gateway:8080'"):
        pool_settings(gateway_url="gateway:8080")
    with pytest.raises(SettingsError, match="CRYPTOPILOT_POOL_ANNOUNCE_INTERVAL"):
        pool_settings(announce_interval=0)
    pool_settings(gateway_url="", announce_interval=0)


def test_pool_run_offers_the_announce_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "pool", "run", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--gateway-url", "--public-url", "--host-label", "--announce-interval"):
        assert option in result.stdout


async def test_the_gateway_accepts_only_the_pool_token(
    aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    server = await gateway(aiohttp_server, tmp_path)
    url = str(server.make_url("/"))
    good = Announcer(pool_settings(gateway_url=url))
    bad = Announcer(good.settings.model_copy(update={"token": SecretStr("not-the-token")}))
    async with aiohttp.ClientSession() as session:
        assert await bad.announce_once(session) is False
        assert await good.announce_once(session) is True
    [pool] = await server.app[SERVICES].pools.list()
    assert (pool.id, pool.control_url, pool.source, pool.capacity) == (
        "edge-1",
        "http://127.0.0.1:18555",
        "announced",
        4,
    )
    assert pool.status == "unreachable"  # nothing listens on 18555: the gateway checked


@pytest.mark.e2e
async def test_a_real_pool_announces_itself_and_turns_healthy(
    aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    server = await gateway(aiohttp_server, tmp_path)
    directory = server.app[SERVICES].pools
    env = {
        "CRYPTOPILOT_POOL_GATEWAY_URL": str(server.make_url("/")),
        "CRYPTOPILOT_POOL_HOST_LABEL": "test-host",
        "CRYPTOPILOT_POOL_ANNOUNCE_INTERVAL": "0.5",
    }
    with running_pool(tmp_path / "pool", "http://127.0.0.1:9", pool_id="edge-2", env=env) as pool:

        async def healthy() -> bool:
            found = await directory.find("edge-2")
            return found is not None and found.status == "healthy"

        await async_wait_until(healthy, timeout=30, what="edge-2 announced and healthy")
        record = await directory.find("edge-2")
        assert record is not None
        assert (record.control_url, record.host_label, record.source) == (
            pool.url,
            "test-host",
            "announced",
        )
        assert (record.capacity, record.bots_reported) == (5, 0)
        assert directory.control("edge-2").url == pool.url
