"""A move to a new VPS end to end: back up a running platform, restore it fresh, run it again.

Old host: PostgreSQL, a pool with two scalping bots on the sandbox, the gateway; a user with
a wallet, bots and open trades. `cryptopilot backup` runs while all of it trades; the old
host then stops. `cryptopilot restore` puts it into a new PostgreSQL database and a new data
folder; a pool and a gateway started on them show the same users, wallets, ledger, bots and
trades, and the bots trade on.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backup.cli import PASSPHRASE_ENV
from gateway.app import create_app
from gateway.settings import Settings
from runtime.botconfig import BotPaths
from tests.fixtures.pools import POOL_TOKEN, REPO, running_pool
from tests.gateway.conftest import PASSWORD, register_and_login
from tests.helpers import async_wait_until, free_port

AppClient = TestClient[Any, Any]
PASSPHRASE = "a passphrase for the move test"
JWT_SECRET = "move-test-secret-" + "x" * 32
BOT_IDS = ("alice-scalper-1", "alice-scalper-2")
# Rows that must come back exactly; bots without the columns the running system updates.
COMPARED = {
    "users": "SELECT * FROM users ORDER BY id",
    "wallets": "SELECT * FROM wallets ORDER BY user_id",
    "ledger": "SELECT * FROM wallet_transactions ORDER BY id",
    "allocations": "SELECT * FROM wallet_allocations ORDER BY user_id, bot_id",
    "bots": "SELECT id, user_id, pool_id, strategy, stake_currency, stake_amount, pairs,"
    " wallet_cents, desired_state, api_username, api_port, created_at"
    " FROM bots ORDER BY id",
}
# A trade's columns that never change once it is open.
OPENED = "id, pair, open_date, open_rate, amount, stake_amount, is_short"


def _gateway_settings(database_url: str, pool_url: str, strategy_repo: Path) -> Settings:
    return Settings(
        strategy_repo=str(strategy_repo),
        env="test",
        database_url=database_url,
        jwt_secret=JWT_SECRET,
        bcrypt_rounds=4,
        pools=(f"pool-a={pool_url}",),
        pool_token=POOL_TOKEN,
        pool_health_interval=0.5,
        reconcile_interval=2,
        trade_monitor_interval=0,
        snapshot_interval=0,
    )


async def _rows(database_url: str) -> dict[str, list[Any]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return {
                name: [tuple(r) for r in await conn.execute(text(q))]
                for name, q in COMPARED.items()
            }
    finally:
        await engine.dispose()


def _trades(database: Path, columns: str = "*") -> dict[int, tuple[Any, ...]]:
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as conn:
        query = f"SELECT {columns}, is_open FROM trades ORDER BY id"  # noqa: S608 - ours
        rows = conn.execute(query).fetchall()
    return {int(row[0]): tuple(row) for row in rows}


def _cli(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "cli.main", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done, time.monotonic() - started


async def _bots(client: AppClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/freqtrade/bots", headers=auth)
    assert response.status == 200
    return list((await response.json())["bots"])


async def _all_running(client: AppClient, auth: dict[str, str]) -> bool:
    bots = await _bots(client, auth)
    return len(bots) == len(BOT_IDS) and all(b["containerStatus"] == "running" for b in bots)


async def _bot_api(client: AppClient, auth: dict[str, str], bot_id: str, path: str) -> Any:
    response = await client.get(f"/api/freqtrade/proxy/{bot_id}/api/v1/{path}", headers=auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def _trade_ids(client: AppClient, auth: dict[str, str], bot_id: str) -> set[int]:
    """Every trade the bot's own API reports: its open ones and its closed ones."""
    open_trades = await _bot_api(client, auth, bot_id, "status")
    closed = await _bot_api(client, auth, bot_id, "trades?limit=500")
    return {t["trade_id"] for t in open_trades} | {t["trade_id"] for t in closed["trades"]}


def _git_head(repo: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.e2e
async def test_backup_of_a_running_platform_restores_on_a_fresh_host(
    aiohttp_client: Callable[..., Awaitable[AppClient]],
    sandbox_url: str,
    make_postgres_database: Callable[[], str],
    tmp_path: Path,
) -> None:
    old_db = await asyncio.to_thread(make_postgres_database)
    new_db = await asyncio.to_thread(make_postgres_database)
    old_dir, new_dir = tmp_path / "old" / "pool-a", tmp_path / "new" / "pool-a"
    api_low = 20_000 + free_port() % 30_000
    archive = tmp_path / "platform.cpbk"
    old_repo, new_repo = tmp_path / "old" / "strategies-repo", tmp_path / "new" / "strategies-repo"
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")

    # -- the old host, trading ---------------------------------------------------------------
    with running_pool(
        old_dir, sandbox_url, pool_id="pool-a", capacity=3, api_port_min=api_low
    ) as pool:
        client = await aiohttp_client(create_app(_gateway_settings(old_db, pool.url, old_repo)))
        alice = await register_and_login(client, "alice@example.com")
        for bot_id in BOT_IDS:
            body = {
                "instanceId": bot_id,
                "strategy": "SandboxScalp1m",
                "stake_currency": "USD",
                "tradingPairs": ["BTC/USD", "ETH/USD", "SOL/USD"],
                "initialBalance": 200,
                "timeframe": "1m",
                "exchange": "kraken",
                "stake_amount": 50,
                "max_open_trades": 3,
                "dry_run": True,
            }
            response = await client.post("/api/freqtrade/provision", json=body, headers=alice.auth)
            assert response.status == 201, await response.text()
        await async_wait_until(
            lambda: _all_running(client, alice.auth), timeout=180, interval=1, what="bots running"
        )

        async def open_trade() -> bool:
            databases = [BotPaths.of(old_dir, b).database for b in BOT_IDS]
            return any(d.exists() and any(t[-1] for t in _trades(d).values()) for d in databases)

        await async_wait_until(open_trade, timeout=240, interval=2, what="an open trade")

        # The backup runs while the bots trade and the gateway serves.
        done, backup_seconds = _cli(
            "backup",
            str(archive),
            "--pool-dir",
            str(old_dir),
            "--passphrase-file",
            str(passphrase_file),
            env={
                "CRYPTOPILOT_DATABASE_URL": old_db,
                "CRYPTOPILOT_JWT_SECRET": JWT_SECRET,
                "CRYPTOPILOT_STRATEGY_REPO": str(old_repo),
            },
        )
        summary = json.loads(done.stdout)
        assert "==> pg_dump" in done.stderr and "bot 2/2" in done.stderr
        assert summary["secrets"] is False and summary["database"]["users"] == 1
        archived_trades = summary["pools"]["pool-a"]
        assert sum(archived_trades.values()) > 0
        old_rows = await _rows(old_db)
        await client.close()
    # The old host is gone; its files are what the bots wrote until they stopped.
    old_trades = {b: _trades(BotPaths.of(old_dir, b).database) for b in BOT_IDS}
    old_opened = {b: _trades(BotPaths.of(old_dir, b).database, OPENED) for b in BOT_IDS}

    # -- the new host ------------------------------------------------------------------------
    done, restore_seconds = _cli(
        "restore",
        str(archive),
        "--pool-dir",
        f"pool-a={new_dir}",
        "--config-out",
        str(tmp_path / "new" / "restore"),
        env={
            "CRYPTOPILOT_DATABASE_URL": new_db,
            PASSPHRASE_ENV: PASSPHRASE,
            "CRYPTOPILOT_STRATEGY_REPO": str(new_repo),
        },
    )
    assert "Left to do:" in done.stdout and "DNS" in done.stdout and "Vercel" in done.stdout
    print(f"backup {backup_seconds:.1f}s, restore {restore_seconds:.1f}s")

    assert await _rows(new_db) == old_rows
    # The store's whole history came too: the versions the bots' rows name exist.
    assert summary["strategy_repo"] == _git_head(new_repo) == _git_head(old_repo)
    for bot_id in BOT_IDS:
        database = BotPaths.of(new_dir, bot_id).database
        restored, opened = _trades(database), _trades(database, OPENED)
        assert len(restored) == archived_trades[bot_id]
        # Nothing lost: every trade the old bot had opened by the last archived one is back.
        last = max(restored, default=0)
        assert [i for i in old_trades[bot_id] if i <= last] == sorted(restored)
        for trade_id, row in restored.items():
            if row[-1]:  # open at backup time: it may have moved on in the old bot since
                assert opened[trade_id] == old_opened[bot_id][trade_id]
            else:
                assert row == old_trades[bot_id][trade_id]

    # Started on the restored folder and database, the platform carries on.
    with running_pool(
        new_dir, sandbox_url, pool_id="pool-a", capacity=3, api_port_min=api_low
    ) as pool:
        started = time.time()
        client = await aiohttp_client(create_app(_gateway_settings(new_db, pool.url, new_repo)))
        response = await client.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        auth = {"Authorization": f"Bearer {(await response.json())['token']}"}
        await async_wait_until(
            lambda: _all_running(client, auth), timeout=180, interval=1, what="bots back"
        )
        wallet = await client.get("/api/account/wallet", headers=auth)
        assert set((await wallet.json())["data"]["botAllocations"]) == set(BOT_IDS)
        for bot_id in BOT_IDS:
            restored_ids = set(_trades(BotPaths.of(new_dir, bot_id).database))

            async def answers(b: str = bot_id) -> list[set[int]]:
                return [await _trade_ids(client, auth, b)]  # a list: truthy with no trades too

            [answered] = await async_wait_until(answers, timeout=60, what="the bot's API")
            assert answered >= restored_ids

            async def trading(b: str = bot_id, before: int = len(restored_ids)) -> bool:
                health = await _bot_api(client, auth, b, "health")
                moved = bool(health["last_process_ts"] and health["last_process_ts"] > started)
                return moved or len(await _trade_ids(client, auth, b)) > before

            await async_wait_until(trading, timeout=120, interval=2, what=f"{bot_id} trading")
