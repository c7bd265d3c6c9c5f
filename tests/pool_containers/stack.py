"""A monitored platform for tests: sandbox, one real pool with one real bot, the gateway.

The pool runs as a process (`cryptopilot pool run`) with trade sync into the gateway's
database, Turso backup to a local sqld and a memory limit, so every metric family the
dashboards and alert rules use is exported. The gateway runs in the test's event loop on a
real TCP port (aiohttp's test server), so a Prometheus process can scrape it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.fixtures.pools import POOL_TOKEN, RunningPool, running_pool
from tests.fixtures.sqld import SqldServer
from tests.helpers import async_wait_until, free_port

AppClient = TestClient[Any, Any]
ClientFactory = Callable[..., Awaitable[AppClient]]

POOL_ID = "pool-1"
BOT_ID = "mon-bot-1"
METRICS_TOKEN = "metrics-test-token-0123456789"
SD_PATH = "/api/internal/prometheus/pools"
MEMORY_LIMIT_BYTES = 8 * 1024**3
BOT = {
    "instanceId": BOT_ID,
    "strategy": "SandboxScalp1m",
    "stake_currency": "USD",
    "tradingPairs": ["BTC/USD", "ETH/USD"],
    "initialBalance": 300,
    "timeframe": "1m",
    "exchange": "kraken",
    "stake_amount": 50,
    "max_open_trades": 2,
    "dry_run": True,
}


@dataclass(frozen=True)
class Stack:
    """The running parts and how to reach them."""

    client: AppClient
    gateway_address: str  # host:port
    pool: RunningPool
    pool_address: str
    user_auth: dict[str, str]

    async def scrape_gateway(self) -> str:
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        response = await self.client.get("/metrics", headers=headers)
        assert response.status == 200, await response.text()
        return await response.text()

    async def pool_get(self, path: str) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {POOL_TOKEN}"}
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(self.pool.url + path, headers=headers) as response,
        ):
            return response.status, await response.text()

    async def scrape_pool(self) -> str:
        status, text = await self.pool_get("/metrics")
        assert status == 200, text
        return text

    async def bot(self) -> dict[str, Any]:
        status, text = await self.pool_get(f"/bots/{BOT_ID}")
        assert status == 200, text
        return dict(json.loads(text)["bot"])

    async def discovery(self) -> list[dict[str, Any]] | None:
        """The gateway's http_sd answer for Prometheus, or None where it does not exist."""
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        response = await self.client.get(SD_PATH, headers=headers)
        if response.status == 404:
            return None
        assert response.status == 200, await response.text()
        return list(await response.json())


def _gateway_settings(tmp_path: Path, pool_url: str) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}",
        "jwt_secret": "test-secret-" + "x" * 32,
        "bcrypt_rounds": 4,
        "pools": (f"{POOL_ID}={pool_url}",),
        "pool_token": POOL_TOKEN,
        "pool_health_interval": 0.5,
        "reconcile_interval": 0,
        "trade_monitor_interval": 0,
        "stream_interval": 1.0,
        "strategy_repo": str(tmp_path / "strategies-repo"),
    }
    if "metrics_token" in Settings.model_fields:  # the gateway's /metrics and discovery token
        values["metrics_token"] = METRICS_TOKEN
    return Settings(**values)


@asynccontextmanager
async def monitored_stack(
    aiohttp_client: ClientFactory, sandbox_url: str, sqld: SqldServer, tmp_path: Path
) -> AsyncIterator[Stack]:
    """Gateway + pool + one running bot provisioned through the gateway, until the block ends."""
    control_port = free_port()
    pool_url = f"http://127.0.0.1:{control_port}"
    # The gateway first: it creates the database schema the pool's trade sync writes into.
    client = await aiohttp_client(create_app(_gateway_settings(tmp_path, pool_url)))
    env = {
        "CRYPTOPILOT_POOL_SYNC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}",
        "CRYPTOPILOT_POOL_SYNC_INTERVAL": "1",
        "CRYPTOPILOT_POOL_TURSO_URL": sqld.url,
        "CRYPTOPILOT_POOL_TURSO_INTERVAL": "2",
        "CRYPTOPILOT_POOL_MEMORY_LIMIT_BYTES": str(MEMORY_LIMIT_BYTES),
    }
    with running_pool(
        tmp_path / POOL_ID,
        sandbox_url,
        pool_id=POOL_ID,
        capacity=2,
        control_port=control_port,
        env=env,
    ) as pool:
        email, password = "monitor@example.com", "correct horse battery staple"
        response = await client.post(
            "/api/auth/register", json={"username": "monitor", "email": email, "password": password}
        )
        assert response.status == 201, await response.text()
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status == 200, await response.text()
        auth = {"Authorization": f"Bearer {(await response.json())['token']}"}
        stack = Stack(
            client=client,
            gateway_address=f"127.0.0.1:{client.server.port}",
            pool=pool,
            pool_address=f"127.0.0.1:{control_port}",
            user_auth=auth,
        )

        async def pool_healthy() -> bool:
            response = await client.get("/api/freqtrade/pool/my-pools", headers=auth)
            return response.status == 200

        await async_wait_until(pool_healthy, timeout=30, what="gateway sees the pool")

        async def provisioned() -> bool:
            response = await client.post("/api/freqtrade/provision", json=BOT, headers=auth)
            assert response.status in (201, 503), await response.text()
            return response.status == 201

        await async_wait_until(provisioned, timeout=30, interval=1, what="bot provisioned")

        async def running() -> bool:
            return bool((await stack.bot())["state"] == "running")

        await async_wait_until(running, timeout=180, interval=1, what=f"{BOT_ID} running")
        yield stack
