"""A real pool with a trading bot syncs into PostgreSQL, through an outage, losing nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, select
from sqlalchemy.ext.asyncio import create_async_engine

from migrations.schema import bot_trades
from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.helpers import async_wait_until
from tests.runtime.sync.relay import Relay

BOT = {
    "bot_id": "sync1",
    "owner": "alice",
    "strategy": "SandboxScalp1m",
    # Six pairs: the entry fires on ~60 % of candles per pair, so a minute without any signal
    # is rare (0.4 ** 6); with two pairs a two-minute dry spell failed a CI run.
    "pairs": ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "LTC/USDT", "LINK/USDT"],
    "stake_currency": "USDT",
    "dry_run_wallet": 1000,
    # Exit at once whatever the profit: the bot keeps opening and closing trades.
    "config_overrides": {"minimal_roi": {"0": -1}},
}


def _bot_trades(path: Path) -> dict[int, tuple[bool, float | None]]:
    """The bot's own trades (id -> open, profit), read the way the worker does."""
    if not path.exists():
        return {}
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=5)
    try:
        rows = conn.execute("SELECT id, is_open, close_profit_abs FROM trades").fetchall()
    except sqlite3.OperationalError:  # FreqTrade has not created its tables yet
        return {}
    finally:
        conn.close()
    return {int(i): (bool(is_open), profit) for i, is_open, profit in rows}


@pytest.mark.e2e
async def test_pool_syncs_trades_and_survives_a_postgres_outage(
    tmp_path: Path, sandbox_url: str, pg_target_url: str
) -> None:
    real = make_url(pg_target_url)
    engine = create_async_engine(pg_target_url)

    async def synced() -> dict[int, tuple[bool, float | None]]:
        query = select(bot_trades.c.trade_id, bot_trades.c.is_open, bot_trades.c.close_profit_abs)
        query = query.where(bot_trades.c.bot_id == "sync1", bot_trades.c.deleted_at.is_(None))
        async with engine.connect() as conn:
            return {r[0]: (r[1], r[2]) for r in (await conn.execute(query)).all()}

    data_dir = tmp_path / "pool"
    database = data_dir / "bots" / "sync1" / "tradesv3.dryrun.sqlite"
    try:
        with Relay(real.host or "127.0.0.1", real.port or 5432) as relay:
            through = real.set(host="127.0.0.1", port=relay.port)
            env = {
                "CRYPTOPILOT_POOL_SYNC_DATABASE_URL": through.render_as_string(hide_password=False),
                "CRYPTOPILOT_POOL_SYNC_INTERVAL": "1",
            }
            with running_pool(data_dir, sandbox_url, pool_id="sync-pool", env=env) as pool:
                async with PoolClient(pool.url, POOL_TOKEN) as client:
                    await client.add_bot(BOT)
                    await client.wait_for_state("sync1", "running", deadline_s=120)

                    async def two_trades_synced() -> bool:
                        return len(await synced()) >= 2

                    await async_wait_until(two_trades_synced, 120, 0.5, "trades in PostgreSQL")

                    relay.cut()
                    at_cut = _bot_trades(database)

                    async def bot_traded_on() -> bool:
                        now = _bot_trades(database)
                        return len(now) > len(at_cut) or any(
                            not now[i][0] and at_cut[i][0] for i in at_cut if i in now
                        )

                    await async_wait_until(bot_traded_on, 120, 0.5, "the bot trading on")

                    async def backing_off() -> dict[str, Any] | None:
                        status = await client.sync_status()
                        return status if status["target"]["failures"] >= 2 else None

                    status = await async_wait_until(backing_off, 60, 0.5, "sync backing off")
                    assert status["target"]["ok"] is False and status["target"]["last_error"]
                    assert await synced() != _bot_trades(database)  # behind during the outage

                    relay.restore()

                    async def caught_up() -> bool:
                        status = await client.sync_status()
                        bot = status["bots"][0]
                        return bool(status["target"]["ok"]) and bot["pending_rows"] == 0

                    await async_wait_until(caught_up, 90, 0.5, "sync catching up")
                    await client.stop_bot("sync1")
                    final = await client.sync_now()
                    assert final["target"]["ok"] is True
                    assert final["bots"][0]["last_error"] == ""
                    own = _bot_trades(database)
                    assert own != at_cut  # what the bot did during the outage arrived too
                    assert await synced() == own
    finally:
        await engine.dispose()
    log = (data_dir / "bots" / "sync1" / "logs" / "freqtrade.log").read_text(errors="replace")
    assert "database is locked" not in log
