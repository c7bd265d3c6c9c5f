"""A real `cryptopilot pool run`: SIGKILL it, its bots die within 2 s; a new one restores them.

Started again on the same folder and ports it brings back every bot, and every trade each
bot had (open trades still open on the same pair and open date, closed ones still closed),
with FreqTrade's SQLite intact.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import psutil
import pytest

from runtime.botconfig import BotPaths
from runtime.rpc.client import PoolApiError, PoolClient
from tests.faults.trades import check_database, still_there
from tests.fixtures.pools import RunningPool, running_pool
from tests.helpers import async_wait_until, free_port, wait_until
from tests.runtime.botapi import SeenTrade, bot_post, ensure_trade, seen_trades
from tests.runtime.conftest import TOKEN, bot_body

REPO = Path(__file__).resolve().parents[2]
FORCE = {"force_entry_enable": True}
BOTS = ("k1", "k2")


def cli(url: str, *args: str) -> Any:
    env = {**os.environ, "CRYPTOPILOT_POOL_TOKEN": TOKEN}
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "pool", *args, "--url", url],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return out.returncode, out.stdout, out.stderr


async def _pool_up(client: PoolClient) -> dict[str, Any] | None:
    try:
        return await client.health()
    except OSError:
        return None


@pytest.mark.e2e
async def test_supervisor_sigkill_takes_bots_down_and_restart_restores(
    tmp_path: Path, sandbox_url: str
) -> None:
    port, low = free_port(), 20_000 + free_port() % 30_000
    url = f"http://127.0.0.1:{port}"
    data = tmp_path / "pool"

    def pool_process() -> AbstractContextManager[RunningPool]:
        return running_pool(
            data, sandbox_url, pool_id="killme", token=TOKEN, control_port=port, api_port_min=low
        )

    with pool_process() as pool:
        first = pool.process
        async with PoolClient(url, TOKEN) as client:
            await async_wait_until(lambda: _pool_up(client), timeout=60, what="supervisor up")
            for bot_id in BOTS:
                await client.add_bot(bot_body(bot_id, config_overrides=FORCE))
            bots = [await client.wait_for_state(b, "running", 90) for b in BOTS]
            for bot in bots:
                await async_wait_until(functools.partial(ensure_trade, bot), 30, what="a trade")
            # One closed trade besides the open ones, so both kinds must come back.
            await _close_one(bots[1])
            before = [await seen_trades(bot) for bot in bots]
            health = await client.health()

            # The CLI client talks to the same supervisor.
            code, out, _ = cli(url, "list")
            assert code == 0
            assert [b["bot_id"] for b in json.loads(out)] == ["k1", "k2"]
            code, out, _ = cli(url, "status", "k1")
            assert code == 0
            assert json.loads(out)["state"] == "running"
            code, _, err = cli(url, "status", "missing")
            assert code == 1
            assert json.loads(err)["code"] == "BOT_NOT_FOUND"
            with pytest.raises(PoolApiError) as info:
                await client.add_bot(bot_body("k1"))
            assert info.value.code == "BOT_EXISTS"

        pids = [b["pid"] for b in bots] + [health["forkserver_pid"]]
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        killed_at = time.monotonic()

        def all_gone() -> bool:
            return not any(psutil.pid_exists(p) and _not_zombie(p) for p in pids)

        wait_until(all_gone, timeout=2.0, interval=0.05, what="bots gone after the supervisor")
        assert time.monotonic() - killed_at < 2.0

    with pool_process():
        async with PoolClient(url, TOKEN) as client:
            await async_wait_until(lambda: _pool_up(client), timeout=60, what="supervisor back")
            back = [await client.wait_for_state(b, "running", 90) for b in BOTS]
            assert [b["api_port"] for b in back] == [b["api_port"] for b in bots]
            after = [await seen_trades(bot) for bot in back]
            for old, new in zip(before, after, strict=True):
                assert not still_there(old, new)
            assert any(t.is_open for t in before[0].values())
            assert any(not t.is_open for t in before[1].values())
            for bot_id in BOTS:
                await client.stop_bot(bot_id)
            for bot_id in BOTS:
                await client.wait_for_state(bot_id, "stopped", 30)
    for bot_id, old in zip(BOTS, before, strict=True):
        database = check_database(BotPaths.of(data, bot_id).database)
        assert database.integrity == "ok"
        assert database.duplicated() == []
        assert set(old) <= set(database.trade_ids)


async def _close_one(bot: dict[str, Any]) -> None:
    """Force-exit one open trade and wait until FreqTrade reports it closed."""
    trades: dict[int, SeenTrade] = await seen_trades(bot)
    if any(not t.is_open for t in trades.values()):
        return  # the strategy already closed one
    trade_id = next(t.trade_id for t in trades.values() if t.is_open)
    await bot_post(bot, "forceexit", {"tradeid": str(trade_id), "ordertype": "market"})

    async def closed() -> bool:
        return not (await seen_trades(bot))[trade_id].is_open

    await async_wait_until(closed, 30, what=f"trade {trade_id} closed")


def _not_zombie(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
