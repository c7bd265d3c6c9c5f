"""The exchange misbehaving for a minute: errors, timeouts, garbage; the bots survive and trade on.

A sandbox of this test's own (faults must not reach other tests' bots) serves a real pool's
bots. Once they trade, the sandbox cycles through its fault modes (`POST /sandbox/faults`,
sandbox/faults.py) for `FAULT_S` seconds in all, then behaves again. The bots must survive it
(still running: the same processes, or ones the pool restarted, which the test reports), their
FreqTrade loops must pass again (fresh heartbeats, runtime/liveness/) and they must trade again
(new trades opened after the fault).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.fixtures.sandbox import running_sandbox
from tests.helpers import async_wait_until
from tests.runtime.botapi import trade_ids
from tests.runtime.conftest import bot_body

logger = logging.getLogger(__name__)

FAULT_S = 60.0  # how long the exchange misbehaves in all (the figure)
MODES = ("error", "timeout", "garbage")  # each for FAULT_S / len(MODES) seconds, in this order
PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "LTC/USDT", "LINK/USDT"]
BOT_IDS = ["fx-bot-1", "fx-bot-2"]
FRESH_S = 20.0  # a heartbeat younger than this counts as a loop on time again


async def set_fault(sandbox_url: str, mode: str, seconds: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"mode": mode}
    if seconds is not None:
        body["seconds"] = seconds
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.post(f"{sandbox_url}/sandbox/faults", json=body) as response,
    ):
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def all_trade_ids(pool: PoolClient) -> dict[str, set[int]]:
    return {bot_id: await trade_ids(await pool.bot_status(bot_id)) for bot_id in BOT_IDS}


@pytest.mark.e2e
async def test_bots_survive_a_minute_of_exchange_faults(tmp_path: Path) -> None:
    with (
        running_sandbox(tmp_path / "sandbox.log") as sandbox_url,
        running_pool(tmp_path / "pool-fx", sandbox_url, pool_id="pool-fx", capacity=3) as proc,
    ):
        async with PoolClient(proc.url, POOL_TOKEN) as pool:
            for bot_id in BOT_IDS:
                # Exit at once whatever the profit: the bots keep opening and closing trades.
                await pool.add_bot(
                    bot_body(bot_id, pairs=PAIRS, config_overrides={"minimal_roi": {"0": -1}})
                )
            for bot_id in BOT_IDS:
                await pool.wait_for_state(bot_id, "running", deadline_s=180)

            async def trading() -> dict[str, set[int]] | None:
                ids = await all_trade_ids(pool)
                return ids if all(ids.values()) else None

            await async_wait_until(trading, 240, 1, "every bot trading before the fault")
            before = {b["bot_id"]: b for b in await pool.list_bots()}

            # The fault: each mode in turn, then the sandbox behaves again by itself.
            step = FAULT_S / len(MODES)
            for mode in MODES:
                state = await set_fault(sandbox_url, mode, step)
                assert state["mode"] == mode
                await asyncio.sleep(step)
            assert (await set_fault(sandbox_url, "off"))["mode"] == "off"
            recovered_at = time.time()
            at_recovery = await all_trade_ids(pool)

            async def loops_fresh() -> list[dict[str, Any]] | None:
                bots = await pool.list_bots()
                ok = all(
                    b["state"] == "running"
                    and b["heartbeat"] is not None
                    and b["heartbeat"]["at"] > recovered_at
                    and b["heartbeat"]["age_s"] < FRESH_S
                    for b in bots
                )
                return bots if ok else None

            after_list = await async_wait_until(loops_fresh, 180, 1, "fresh loop heartbeats")

            async def traded_again() -> bool:
                now = await all_trade_ids(pool)
                return all(now[b] - at_recovery[b] for b in BOT_IDS)

            await async_wait_until(traded_again, 240, 1, "every bot opening new trades")

            after = {b["bot_id"]: b for b in after_list}
            for bot_id in BOT_IDS:
                same = after[bot_id]["pid"] == before[bot_id]["pid"]
                restarted = after[bot_id]["restarts"] > before[bot_id]["restarts"]
                assert same or restarted, (before[bot_id], after[bot_id])
                # Shown with `pytest -s` / in the log: which way each bot survived.
                logger.warning(
                    "%s survived the exchange fault: %s (pid %s -> %s, restarts %s -> %s)",
                    bot_id,
                    "same process" if same else "restarted by the pool",
                    before[bot_id]["pid"],
                    after[bot_id]["pid"],
                    before[bot_id]["restarts"],
                    after[bot_id]["restarts"],
                )
                assert after[bot_id]["fatal_reason"] in (None, "")
