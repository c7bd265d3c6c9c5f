"""The trading pages end to end: real pools, real FreqTrade bots on the sandbox, the gateway.

One scenario in order, as a user lives it: fund, provision 3 bots across 2 pools, watch them
trade (B1, O1, P1, P4, SSE, proxy), stop/start, survive a pool crash, fail a provisioning at
the pool without losing money, delete with cash-out; a second user touches none of it.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.keys import SERVICES
from gateway.settings import Settings
from migrations.schema import bots
from runtime.credentials import bot_api_password
from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.gateway.conftest import register_and_login
from tests.helpers import async_wait_until

AppClient = TestClient[Any, Any]

BOTS = [
    {
        "instanceId": "alice-bot-1",
        "strategy": "SandboxScalp1m",
        "stake_currency": "USD",
        "tradingPairs": ["BTC/USD", "ETH/USD", "SOL/USD"],
        "initialBalance": 300,
        "timeframe": "1m",
    },
    {
        "instanceId": "alice-bot-2",
        "strategy": "EmaRsiStrategy",
        "stake_currency": "USDT",
        "tradingPairs": ["BTC/USD", "ETH/USD"],
        "initialBalance": 200,
        "timeframe": "15m",
    },
    {
        "instanceId": "alice-bot-3",
        "strategy": "SandboxScalp1m",
        "stake_currency": "EUR",
        "tradingPairs": ["BTC/EUR", "XRP/EUR"],
        "initialBalance": 100,
        "timeframe": "1m",
    },
]


def provision_body(bot: dict[str, Any]) -> dict[str, Any]:
    return {
        "exchange": "kraken",
        "stake_amount": 50,
        "max_open_trades": 3,
        "dry_run": True,
        **bot,
    }


async def read_sse(
    client: AppClient, path: str, wanted: set[str], limit: int = 400
) -> dict[str, Any]:
    """Open a stream, collect the first event of each wanted name; also return raw names seen."""
    found: dict[str, Any] = {}
    names: list[str] = []
    async with client.get(path) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["X-Accel-Buffering"] == "no"
        event = "message"
        for _ in range(limit):
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                names.append(event)
            elif line.startswith("data:"):
                if event in wanted and event not in found:
                    found[event] = json.loads(line.split(":", 1)[1])
                if wanted <= found.keys():
                    break
            elif not line:
                event = "message"
    found["_names"] = names
    return found


async def wallet(client: AppClient, auth: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/account/wallet", headers=auth)
    assert response.status == 200
    return dict((await response.json())["data"])


async def bots_of(client: AppClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/freqtrade/bots", headers=auth)
    assert response.status == 200
    return list((await response.json())["bots"])


@pytest.mark.e2e
async def test_trading_pages_on_real_pools(
    aiohttp_client: Callable[..., Awaitable[AppClient]],
    sandbox_url: str,
    tmp_path: Path,
) -> None:
    with (
        running_pool(tmp_path / "pool-a", sandbox_url, pool_id="pool-a", capacity=2) as pool_a,
        running_pool(tmp_path / "pool-b", sandbox_url, pool_id="pool-b", capacity=2) as pool_b,
    ):
        settings = Settings(
            env="test",
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}",
            jwt_secret="test-secret-" + "x" * 32,
            bcrypt_rounds=4,
            pools=(f"pool-a={pool_a.url}", f"pool-b={pool_b.url}"),
            pool_token=POOL_TOKEN,
            pool_health_interval=0.5,
            reconcile_interval=0,  # on demand (O2) in this test, so each step is deterministic
            trade_monitor_interval=0,  # no protection pauses a bot mid-test
            stream_interval=1.0,
            strategy_repo=str(tmp_path / "strategies-repo"),
        )
        client = await aiohttp_client(create_app(settings))
        services = client.app[SERVICES]
        alice = await register_and_login(client, "alice@example.com")
        bob = await register_and_login(client, "bob@example.com")

        async def pools_healthy() -> bool:
            return len(await services.pools.placement_candidates()) == 2

        await async_wait_until(pools_healthy, timeout=30, what="both pools healthy")
        assert (await wallet(client, alice.auth))["balance"] == 1000

        # B2: three bots, spread over both pools, money reserved.
        for bot in BOTS:
            response = await client.post(
                "/api/freqtrade/provision", json=provision_body(bot), headers=alice.auth
            )
            assert response.status == 201, await response.text()
            body = await response.json()
            assert body["success"] is True and body["instanceId"] == bot["instanceId"]
            assert "password" not in json.dumps(body)
        listed = await bots_of(client, alice.auth)
        assert [b["instanceId"] for b in listed] == [b["instanceId"] for b in BOTS]
        assert {b["poolId"] for b in listed} == {"pool-a", "pool-b"}
        assert "password" not in json.dumps(listed)
        funded = await wallet(client, alice.auth)
        assert funded["balance"] == 400 and funded["totalAllocated"] == 600
        assert set(funded["botAllocations"]) == {b["instanceId"] for b in BOTS}

        # A duplicate id and an unknown strategy are refused without touching the wallet.
        again = await client.post(
            "/api/freqtrade/provision", json=provision_body(BOTS[0]), headers=alice.auth
        )
        assert again.status in (400, 409)
        assert (await wallet(client, alice.auth))["balance"] == 400

        async def all_running() -> bool:
            bots = await bots_of(client, alice.auth)
            return all(b["containerStatus"] == "running" for b in bots)

        await async_wait_until(all_running, timeout=180, interval=1, what="3 bots running")

        # O1: real pools with this user's bots only.
        response = await client.get("/api/freqtrade/pool/my-pools", headers=alice.auth)
        pools = await response.json()
        assert pools["poolMode"] is True and pools["totalBots"] == 3
        placed = [bot_id for pool in pools["pools"] for bot_id in pool["bots"]]
        assert sorted(placed) == sorted(str(b["instanceId"]) for b in BOTS)

        # The scalper trades: P4 shows an open position, P1 aggregates every bot.
        async def has_position() -> list[Any] | None:
            response = await client.get("/api/freqtrade/portfolio/positions", headers=alice.auth)
            rows = (await response.json())["positions"]
            return [r for r in rows if r.get("isOpen", r.get("status") == "open")] or None

        positions = await async_wait_until(has_position, timeout=180, interval=2, what="a trade")
        assert {"botId", "pair", "side", "amount", "entryPrice", "currentPrice", "pnl"} <= set(
            positions[0]
        )

        # Every bot in P1 once each has published its first summary (after its first loop pass).
        async def all_reported() -> dict[str, Any] | None:
            response = await client.get("/api/freqtrade/portfolio", headers=alice.auth)
            body = dict(await response.json())
            return body if body["activeBots"] == 3 else None

        portfolio = await async_wait_until(all_reported, timeout=120, interval=2, what="P1 of 3")
        assert portfolio["botCount"] == 3 and portfolio["activeBots"] == 3
        assert all(isinstance(b["status"], list) for b in portfolio["bots"])

        # SSE with the token in the query string: portfolio and positions, never `error`.
        stream = await read_sse(
            client, f"/api/stream?token={alice.token}", {"portfolio", "positions"}
        )
        assert stream["portfolio"]["botCount"] == 3
        assert isinstance(stream["positions"]["positions"], list)
        assert "error" not in stream["_names"]

        # The gateway keeps no bot API password: it derives each from the pool token when it
        # logs in to the bot, as the proxy does below.
        async with services.bot_store.db.engine.connect() as conn:
            rows = (await conn.execute(select(bots))).all()
        assert len(rows) == 3
        for row in rows:
            assert row._mapping.get("api_password") is None
            derived = bot_api_password(POOL_TOKEN, row.id)
            assert derived not in [str(value) for value in row._mapping.values()]

        # B6/B7: FreqTrade's own JSON through the proxy.
        balance = await client.get(
            "/api/freqtrade/proxy/alice-bot-1/api/v1/balance", headers=alice.auth
        )
        assert balance.status == 200
        # `symbol` is FreqTrade's fiat display currency: empty offline, so the page falls back
        # to the bot's stake currency, as the contract describes.
        answer = await balance.json()
        assert answer["stake"] == "USD" and isinstance(answer["total"], float)
        profit = await client.get(
            "/api/freqtrade/proxy/alice-bot-1/api/v1/profit", headers=alice.auth
        )
        assert {"winning_trades", "losing_trades"} <= set(await profit.json())

        # Bob can see or touch none of it.
        assert await bots_of(client, bob.auth) == []
        assert (await wallet(client, bob.auth))["botAllocations"] == {}
        for method, path, payload in [
            ("POST", "/api/freqtrade/bots/alice-bot-1/stop", None),
            ("POST", "/api/freqtrade/bots/alice-bot-1/start", None),
            ("DELETE", "/api/freqtrade/bots/alice-bot-1", None),
            ("GET", "/api/freqtrade/proxy/alice-bot-1/api/v1/balance", None),
            ("POST", "/api/freqtrade/proxy/alice-bot-1/api/v1/forceexit", {"tradeid": "all"}),
            ("GET", "/api/freqtrade/universal-settings/alice-bot-1", None),
            ("PUT", "/api/freqtrade/universal-settings/alice-bot-1", {"riskLevel": 10}),
            ("GET", "/api/freqtrade/universal-features/alice-bot-1", None),
            ("POST", "/api/freqtrade/universal-features/alice-bot-1/reset", None),
            ("POST", "/api/account/wallet/add-to-bot", {"botId": "alice-bot-1", "amount": 1}),
            ("POST", "/api/account/wallet/return-from-bot", {"botId": "alice-bot-1"}),
        ]:
            response = await client.request(method, path, json=payload, headers=bob.auth)
            assert response.status in (403, 404), (method, path, response.status)
            assert (await response.json())["success"] is False
        cleanup = await client.post("/api/freqtrade/pool/my-cleanup", headers=bob.auth)
        assert (await cleanup.json())["removedBots"] == 0
        assert len(await bots_of(client, alice.auth)) == 3

        # Stop and start (B4, B3).
        stopped = await client.post("/api/freqtrade/bots/alice-bot-2/stop", headers=alice.auth)
        assert stopped.status == 200 and (await stopped.json())["success"] is True
        states = {b["instanceId"]: b["containerStatus"] for b in await bots_of(client, alice.auth)}
        assert states["alice-bot-2"] == "stopped"
        started = await client.post("/api/freqtrade/bots/alice-bot-2/start", headers=alice.auth)
        assert started.status == 200
        await async_wait_until(all_running, timeout=120, interval=1, what="bot 2 back")

        # A pool dies: its bots are marked; when it returns the reconciler restores them.
        victims = {
            b["instanceId"] for b in await bots_of(client, alice.auth) if b["poolId"] == "pool-b"
        }
        assert victims
        os.kill(pool_b.process.pid, signal.SIGKILL)
        pool_b.process.wait(10)

        async def marked() -> bool:
            await client.post("/api/freqtrade/pool/my-health-check", headers=alice.auth)
            bots = await bots_of(client, alice.auth)
            return all(b["state"] == "unreachable" for b in bots if b["instanceId"] in victims)

        await async_wait_until(marked, timeout=60, interval=1, what="bots marked unreachable")
        port = int(pool_b.url.rsplit(":", 1)[1])
        with running_pool(
            tmp_path / "pool-b", sandbox_url, pool_id="pool-b", capacity=2, control_port=port
        ):

            async def restored() -> bool:
                await client.post("/api/freqtrade/pool/my-health-check", headers=alice.auth)
                return await all_running()

            await async_wait_until(restored, timeout=180, interval=2, what="bots restored")

            # B5 on a running scalper: the bot is cashed out into the wallet.
            before = await wallet(client, alice.auth)
            response = await client.delete("/api/freqtrade/bots/alice-bot-3", headers=alice.auth)
            assert response.status == 200, await response.text()
            deleted = await response.json()
            after = await wallet(client, alice.auth)
            assert after["balance"] == pytest.approx(
                before["balance"] + deleted["cashedOut"]["amount"]
            )

            # A provisioning that fails at the pool leaves the wallet as it was: the operator
            # filled every pool behind the gateway's back, so each pool answers POOL_FULL.
            for url, prefix in ((pool_a.url, "a"), (f"http://127.0.0.1:{port}", "b")):
                async with PoolClient(url, POOL_TOKEN) as direct:
                    free = (await direct.health())["free_slots"]
                    for index in range(free):
                        await direct.add_bot(_filler(f"filler-{prefix}{index}"))
            refused = await client.post(
                "/api/freqtrade/provision",
                json=provision_body({**BOTS[2], "instanceId": "alice-bot-4"}),
                headers=alice.auth,
            )
            assert refused.status == 503, await refused.text()
            assert (await wallet(client, alice.auth))["balance"] == after["balance"]
            assert [b["instanceId"] for b in await bots_of(client, alice.auth)] == [
                "alice-bot-1",
                "alice-bot-2",
            ]

            # B5: delete closes the trades and cashes the bot out into the wallet.
            response = await client.delete("/api/freqtrade/bots/alice-bot-1", headers=alice.auth)
            body = await response.json()
            assert response.status == 200 and body["success"] is True
            assert body["cashedOut"]["amount"] > 0 and body["cashedOut"]["currency"] == "USD"
            final = await wallet(client, alice.auth)
            assert set(final["botAllocations"]) == {"alice-bot-2"}
            assert await services.wallet.invariant_holds(alice.user_id)
            kinds = {t["type"] for t in final["recentTransactions"]}
            assert {"deposit", "allocate", "deallocate"} <= kinds


def _filler(bot_id: str) -> dict[str, Any]:
    return {
        "bot_id": bot_id,
        "owner": "operator",
        "strategy": "SafeDefaultStrategy",
        "pairs": ["BTC/USDT"],
        "stake_currency": "USDT",
        "dry_run_wallet": 100,
    }
