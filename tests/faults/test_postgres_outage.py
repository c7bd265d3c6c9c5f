"""PostgreSQL stopped for a minute under a live platform: bots trade on, nothing is lost.

A private PostgreSQL server (never the machine's shared cluster) holds the gateway's
database; a real pool syncs its bots' trades into it; the gateway runs on it. The server is
stopped for `OUTAGE_S` seconds (the issue's figure) and started again:
- the bots keep trading (their own FreqTrade API, which needs no PostgreSQL, shows it);
- the gateway answers 503 `DATABASE_UNAVAILABLE` where it needs the database, and serves
  liveness (`/api/health`) and the pool's own control API stays up;
- after the restart the gateway answers again without being restarted, the sync catches up
  and every trade the bots made (including during the outage) is in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.app import create_app
from gateway.keys import SERVICES
from gateway.settings import Settings
from migrations.schema import bot_trades
from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.fixtures.private_postgres import PrivatePostgres
from tests.gateway.conftest import migrate, register_and_login
from tests.helpers import async_wait_until
from tests.runtime.botapi import bot_get, trade_ids

AppClient = TestClient[Any, Any]

OUTAGE_S = 60.0  # how long PostgreSQL stays down (the figure)
PAIRS = ["BTC/USD", "ETH/USD", "SOL/USD", "BNB/USD", "XRP/USD", "LTC/USD"]
BOT_IDS = ["pg-bot-1", "pg-bot-2"]
# Routes that read or write the gateway's database; each must answer 503 while it is down.
NEEDS_DATABASE = [
    ("GET", "/api/freqtrade/bots"),
    ("GET", "/api/account/wallet"),
    ("GET", "/api/freqtrade/trades"),
    ("GET", "/api/freqtrade/portfolio"),
    ("GET", "/api/ready"),
]


def _provision_body(bot_id: str) -> dict[str, Any]:
    return {
        "instanceId": bot_id,
        "exchange": "kraken",
        "strategy": "SandboxScalp1m",
        "stake_currency": "USD",
        "tradingPairs": PAIRS,
        "initialBalance": 300,
        "stake_amount": 40,
        "max_open_trades": 6,
        "timeframe": "1m",
        "dry_run": True,
    }


async def _all_trade_ids(pool: PoolClient) -> dict[str, set[int]]:
    """Each bot's trades, from its own FreqTrade API (found through the pool, not the gateway)."""
    return {bot_id: await trade_ids(await pool.bot_status(bot_id)) for bot_id in BOT_IDS}


async def _closed_ids(pool: PoolClient) -> set[tuple[str, int]]:
    closed: set[tuple[str, int]] = set()
    for bot_id in BOT_IDS:
        trades = (await bot_get(await pool.bot_status(bot_id), "trades?limit=500"))["trades"]
        closed |= {(bot_id, int(t["trade_id"])) for t in trades if not t["is_open"]}
    return closed


@pytest.mark.e2e
async def test_postgres_down_for_a_minute(
    aiohttp_client: Callable[..., Awaitable[AppClient]],
    sandbox_url: str,
    private_postgres: PrivatePostgres,
    tmp_path: Path,
) -> None:
    database_url = private_postgres.create_database("gateway")
    await migrate(database_url)
    engine = create_async_engine(database_url, pool_pre_ping=True)

    async def synced() -> set[tuple[str, int]]:
        query = select(bot_trades.c.bot_id, bot_trades.c.trade_id)
        async with engine.connect() as conn:
            rows = (await conn.execute(query.where(bot_trades.c.deleted_at.is_(None)))).all()
        return {(str(bot_id), int(trade_id)) for bot_id, trade_id in rows}

    env = {
        "CRYPTOPILOT_POOL_SYNC_DATABASE_URL": database_url,
        "CRYPTOPILOT_POOL_SYNC_INTERVAL": "1",
    }
    try:
        with running_pool(
            tmp_path / "pool-pg", sandbox_url, pool_id="pool-pg", capacity=3, env=env
        ) as pool_proc:
            settings = Settings(
                env="test",
                database_url=database_url,
                jwt_secret="test-secret-" + "x" * 32,
                bcrypt_rounds=4,
                pools=(f"pool-pg={pool_proc.url}",),
                pool_token=POOL_TOKEN,
                pool_health_interval=0.5,
                reconcile_interval=0,
                trade_monitor_interval=0,
                snapshot_interval=0,
                strategy_watch_interval=0,
                strategy_repo=str(tmp_path / "strategies-repo"),
            )
            client = await aiohttp_client(create_app(settings))
            alice = await register_and_login(client, "alice@example.com")
            services = client.app[SERVICES]

            async def pool_healthy() -> bool:
                return len(await services.pools.placement_candidates()) == 1

            await async_wait_until(pool_healthy, timeout=30, what="the pool healthy")
            for bot_id in BOT_IDS:
                response = await client.post(
                    "/api/freqtrade/provision", json=_provision_body(bot_id), headers=alice.auth
                )
                assert response.status == 201, await response.text()

            async with PoolClient(pool_proc.url, POOL_TOKEN) as pool:
                for bot_id in BOT_IDS:
                    await pool.wait_for_state(bot_id, "running", deadline_s=180)
                pids = {b["bot_id"]: b["pid"] for b in await pool.list_bots()}

                async def some_trades_synced() -> bool:
                    return len(await synced()) >= 2

                await async_wait_until(some_trades_synced, 240, 1, "trades synced into PG")

                # The outage.
                before_ids = await _all_trade_ids(pool)
                before_closed = await _closed_ids(pool)
                private_postgres.stop()
                down_at = time.monotonic()

                for method, path in NEEDS_DATABASE:
                    response = await client.request(method, path, headers=alice.auth)
                    body = await response.json()
                    assert response.status == 503, (path, body)
                    assert body == {
                        "success": False,
                        "message": (
                            "Database is not reachable"
                            if path == "/api/ready"
                            else "Database is not reachable, please retry"
                        ),
                        "code": "DATABASE_UNAVAILABLE",
                    }, path
                health = await client.get("/api/health")
                assert health.status == 200 and await health.json() == {"status": "ok"}
                assert (await pool.health())["success"] is True  # the pool needs no database

                async def sync_failing() -> dict[str, Any] | None:
                    status = await pool.sync_status()
                    return status if status["target"]["failures"] >= 2 else None

                failing = await async_wait_until(sync_failing, 60, 0.5, "sync backing off")
                assert failing["target"]["ok"] is False and failing["target"]["last_error"]

                await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))

                async def traded_meanwhile() -> tuple[set[tuple[str, int]], bool] | None:
                    during_ids = await _all_trade_ids(pool)
                    found = {(b, t) for b, ids in during_ids.items() for t in ids - before_ids[b]}
                    closed_now = await _closed_ids(pool) - before_closed
                    return (found, bool(closed_now)) if found or closed_now else None

                # At least OUTAGE_S down, longer until a bot traded (a loaded machine's bots
                # may need more than a minute for their next signal).
                opened, _ = await async_wait_until(
                    traded_meanwhile, 180, 2, "a trade opened or closed during the outage"
                )
                assert (await client.get("/api/freqtrade/bots", headers=alice.auth)).status == 503
                # Same processes: an outage of PostgreSQL never touches a bot.
                assert {b["bot_id"]: b["pid"] for b in await pool.list_bots()} == pids

                # Back: the same gateway answers again, the sync catches up, nothing is lost.
                private_postgres.start()

                async def gateway_back() -> bool:
                    response = await client.get("/api/freqtrade/bots", headers=alice.auth)
                    return response.status == 200

                await async_wait_until(gateway_back, 30, 0.5, "the gateway answering again")
                listed = await (await client.get("/api/freqtrade/bots", headers=alice.auth)).json()
                assert sorted(b["instanceId"] for b in listed["bots"]) == BOT_IDS

                async def sync_ok() -> bool:
                    status = await pool.sync_status()
                    return bool(status["target"]["ok"]) and status["last_pass_at"] is not None

                await async_wait_until(sync_ok, 90, 0.5, "the sync healthy again")
                own = await _all_trade_ids(pool)
                final = await pool.sync_now()
                assert final["target"]["ok"] is True
                assert all(b["last_error"] == "" for b in final["bots"])
                stored = await synced()
                every_trade = {(b, t) for b, ids in own.items() for t in ids}
                assert every_trade <= stored, every_trade - stored
                assert opened <= stored  # what the bots did during the outage arrived too

                trades = await client.get("/api/freqtrade/trades?status=all", headers=alice.auth)
                assert trades.status == 200, await trades.text()
                assert (await trades.json())["data"]["total"] >= len(every_trade)
    finally:
        await engine.dispose()
