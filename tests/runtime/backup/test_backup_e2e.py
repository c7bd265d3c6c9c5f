"""A real pool (`cryptopilot pool run`) with a trading bot, backed up to a real sqld.

In order, as an operator lives it: the bot's trades reach the backup; sqld goes down (the
bot keeps trading, the pool answers, the backup says degraded) and comes back (it catches
up); the disk is lost; `cryptopilot bot restore-from-turso` rebuilds the database and the
restarted bot shows the same trades.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, REPO, running_pool
from tests.fixtures.sqld import SqldServer
from tests.helpers import async_wait_until
from tests.runtime.backup.test_replicator import local_rows, remote_rows
from tests.runtime.botapi import bot_get, ensure_trade, trade_ids
from tests.runtime.conftest import bot_body


async def _backup_of(pool: PoolClient, bot_id: str) -> dict[str, Any]:
    status = await pool.backup_status()
    return next((b for b in status["bots"] if b["bot_id"] == bot_id), {})


async def _trades(bot: dict[str, Any]) -> dict[int, tuple[str, str, str | None]]:
    """trade id -> (pair, open date, close date), from the bot's own REST API."""
    open_trades = await bot_get(bot, "status")
    closed = (await bot_get(bot, "trades?limit=500"))["trades"]
    return {
        int(t["trade_id"]): (t["pair"], t["open_date"], t.get("close_date"))
        for t in [*closed, *open_trades]
    }


def _restore(data_dir: Path, url: str, bot_id: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "cli.main", "bot", "restore-from-turso", bot_id]
    args += ["--data-dir", str(data_dir)]
    env = {**os.environ, "CRYPTOPILOT_POOL_TURSO_URL": url}
    return subprocess.run(  # noqa: S603 - our own CLI
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.e2e
async def test_backup_outage_lost_disk_and_restore(
    sqld: SqldServer, sandbox_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "pool"
    env = {"CRYPTOPILOT_POOL_TURSO_URL": sqld.url, "CRYPTOPILOT_POOL_TURSO_INTERVAL": "1"}
    with running_pool(data_dir, sandbox_url, pool_id="backup", env=env) as running:
        async with PoolClient(running.url, POOL_TOKEN, timeout=30) as pool:
            await pool.add_bot(bot_body("scalp", pairs=["BTC/USDT", "ETH/USDT"]))
            bot = await pool.wait_for_state("scalp", "running", deadline_s=120)
            first = await async_wait_until(
                lambda: ensure_trade(bot), timeout=150, interval=1, what="a dry-run trade"
            )

            async def backed_up() -> bool:
                rows = await remote_rows(sqld.url, "scalp")
                return first <= {key for table, key in rows if table == "trades"}

            await async_wait_until(backed_up, timeout=30, interval=0.5, what="trades backed up")

            # Outage: the backup degrades, the pool answers at once, the bot keeps trading.
            await asyncio.to_thread(sqld.stop)

            async def degraded() -> bool:
                return (await _backup_of(pool, "scalp")).get("status") == "degraded"

            await async_wait_until(degraded, timeout=30, interval=0.5, what="backup degraded")
            started = time.monotonic()
            assert (await pool.health())["states"]["running"] == 1
            assert time.monotonic() - started < 1.0
            assert await bot_get(bot, "ping") == {"status": "pong"}
            assert first <= await trade_ids(bot)
            assert (await _backup_of(pool, "scalp"))["last_error"]

            await asyncio.to_thread(sqld.start)

            async def recovered() -> bool:
                return (await _backup_of(pool, "scalp")).get("status") == "ok"

            await async_wait_until(recovered, timeout=60, interval=0.5, what="backup recovered")

            # Stop the bot, then wait for a pass that saw its final file.
            before = await _trades(bot)
            await pool.stop_bot("scalp")
            await pool.wait_for_state("scalp", "stopped", deadline_s=60)
            stopped_at = time.time()

            async def final_pass() -> bool:
                return ((await _backup_of(pool, "scalp")).get("last_success") or 0) > stopped_at

            await async_wait_until(final_pass, timeout=30, interval=0.5, what="a final pass")
            database = data_dir / "bots" / "scalp" / "tradesv3.dryrun.sqlite"
            assert await remote_rows(sqld.url, "scalp") == local_rows(database)

            # Lost disk: the trade database is gone; restore it and start the bot.
            for path in database.parent.glob(database.name + "*"):
                path.unlink()
            restored = await asyncio.to_thread(_restore, data_dir, sqld.url, "scalp")
            assert restored.returncode == 0, restored.stderr
            assert "restored scalp" in restored.stdout
            await pool.start_bot("scalp")
            bot = await pool.wait_for_state("scalp", "running", deadline_s=120)
            after = await _trades(bot)
            assert set(before) <= set(after)
            for trade_id, (pair, opened, closed) in before.items():
                # Same trades, same dates; a trade open before may have closed since.
                assert after[trade_id][:2] == (pair, opened)
                if closed is not None:
                    assert after[trade_id][2] == closed
