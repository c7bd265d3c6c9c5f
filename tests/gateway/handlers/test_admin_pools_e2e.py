"""GET /api/admin/pools on a real pool with a real bot, plus a configured pool that is down."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import insert

from gateway.app import create_app
from gateway.keys import SERVICES, SETTINGS
from gateway.usercli import create_user
from migrations.schema import reconcile_actions
from tests.fixtures.pools import gateway_settings, running_pool
from tests.gateway.conftest import PASSWORD, register_and_login
from tests.gateway.services.dashboard.test_published_e2e import BOTS
from tests.gateway.test_strategies_e2e import register_and_login_admin
from tests.gateway.test_trading_e2e import provision_body
from tests.helpers import async_wait_until, free_port

AppClient = TestClient[Any, Any]


@pytest.mark.e2e
async def test_operators_see_every_pool_and_bot_users_do_not(
    aiohttp_client: Callable[..., Awaitable[AppClient]], sandbox_url: str, tmp_path: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with running_pool(tmp_path / "pool", sandbox_url, pool_id="pool-a", capacity=2) as pool:
        settings = gateway_settings(tmp_path, {"pool-a": pool.url, "pool-z": down})
        client = await aiohttp_client(create_app(settings))
        services = client.app[SERVICES]
        await create_user(client.app[SETTINGS], "root@example.com", PASSWORD, "root", admin=True)
        root = await register_and_login_admin(client)
        alice = await register_and_login(client, "alice@example.com")

        async def pool_healthy() -> bool:
            return len(await services.pools.placement_candidates()) == 1

        await async_wait_until(pool_healthy, timeout=30, what="pool-a healthy")
        response = await client.post(
            "/api/freqtrade/provision", json=provision_body(BOTS[0]), headers=alice.auth
        )
        assert response.status == 201, await response.text()
        async with services.bot_store.db.engine.begin() as conn:
            await conn.execute(insert(reconcile_actions).values(
                id=str(uuid.uuid4()), at=datetime(2026, 1, 2, tzinfo=UTC), pool_id="pool-a",
                bot_id=BOTS[0]["instanceId"], user_id=alice.user_id, action="restored",
                detail="test row",
            ))  # fmt: skip

        async def running() -> dict[str, Any] | None:
            response = await client.get("/api/admin/pools", headers=root)
            assert response.status == 200
            body = dict(await response.json())
            bots = body["pools"][0]["bots"]
            return body if bots and bots[0]["state"] == "running" else None

        body = await async_wait_until(running, timeout=120, interval=1, what="bot running")
        assert [p["id"] for p in body["pools"]] == ["pool-a", "pool-z"]
        live, gone = body["pools"]
        assert live["error"] is None and live["url"] == pool.url and live["botsCount"] == 1
        assert live["memory"]["pssBytes"] > 0 and live["capacity"] == 2
        bot = live["bots"][0]
        assert bot["instanceId"] == BOTS[0]["instanceId"] and bot["ownerId"] == alice.user_id
        assert bot["pid"] > 0 and bot["pssBytes"] > 0 and bot["restarts"] == 0
        assert bot["stalled"] is False and bot["cpuPercent"] is None
        assert gone["error"] and gone["bots"] == [] and gone["memory"] is None
        assert body["reconciler"]["actions"][0] == {
            "at": "2026-01-02T00:00:00.000Z", "poolId": "pool-a", "botId": BOTS[0]["instanceId"],
            "action": "restored", "detail": "test row",
        }  # fmt: skip
        assert "password" not in str(body)

        refused = await client.get("/api/admin/pools", headers=alice.auth)
        assert refused.status == 403 and (await refused.json())["success"] is False
