"""SIGKILL one bot 100 times at random moments (starting, trading, mid-write): the pool
restarts it 100 times and FreqTrade's SQLite keeps every trade, once, intact.

The restart policy is the pool's own (runtime/restart_policy.py), configured through its
settings: backoff 0.05 s doubling to at most 0.2 s, fatal after 5 crashes within 1 s. Every
process lives at least `MIN_LIFE` seconds before it is killed and the backoff adds at least
0.05 s, so at most 3 kills fall in any 1-s window and 100 kills never reach "fatal".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from runtime.botconfig import BotPaths
from runtime.rpc.client import PoolClient
from tests.faults.trades import check_database, still_there
from tests.fixtures.pools import running_pool
from tests.runtime.botapi import SeenTrade, bot_post, seen_trades
from tests.runtime.conftest import TOKEN, bot_body

logger = logging.getLogger(__name__)

KILLS = 100
MIN_LIFE = 0.3
BOT_ID = "victim"
PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"]
POLICY_ENV = {
    "CRYPTOPILOT_POOL_BACKOFF_BASE": "0.05",
    "CRYPTOPILOT_POOL_BACKOFF_MAX": "0.2",
    "CRYPTOPILOT_POOL_CRASH_WINDOW": "1",
    "CRYPTOPILOT_POOL_MAX_CRASHES": "5",
}
# Where in a bot's life a kill lands: while FreqTrade starts (API maybe not up yet), while
# it trades after a forced entry or exit has completed, or while that request is in flight.
MOMENTS = ("starting", "mid-trade", "mid-write")


async def _next_process(client: PoolClient, old_pid: int, restarts: int) -> dict[str, Any]:
    """The bot's status once its next process exists (the pool counted the restart)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = await client.bot_status(BOT_ID)
        if status["state"] == "fatal":
            pytest.fail(f"the restart policy gave up: {status.get('last_exit')}")
        if status["pid"] not in (None, old_pid) and status["restarts"] >= restarts:
            return status
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no new process after killing pid {old_pid}")


async def _force_action(
    bot: dict[str, Any], seen: dict[int, SeenTrade], rng: random.Random
) -> None:
    """Enter a pair without an open trade, or exit an open trade: a trade write in the bot."""
    open_pairs = {t.pair: t.trade_id for t in seen.values() if t.is_open}
    free = [p for p in PAIRS if p not in open_pairs]
    try:
        if free and (not open_pairs or rng.random() < 0.6):
            await bot_post(bot, "forceenter", {"pair": rng.choice(free)})
        else:
            trade_id = rng.choice(list(open_pairs.values()))
            await bot_post(bot, "forceexit", {"tradeid": str(trade_id)})
    except aiohttp.ClientResponseError as exc:
        # Refused (pair just entered by the strategy, trade already closing): no write.
        logger.info("force action refused: %s", exc)


@pytest.mark.e2e
async def test_sigkill_a_bot_100_times_loses_and_duplicates_no_trade(
    tmp_path: Path, sandbox_url: str
) -> None:
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    started = time.monotonic()
    moments: Counter[str] = Counter()
    seen: dict[int, SeenTrade] = {}
    data = tmp_path / "pool"
    with running_pool(data, sandbox_url, pool_id="kills", token=TOKEN, env=POLICY_ENV) as pool:
        async with PoolClient(pool.url, TOKEN) as client:
            body = bot_body(
                BOT_ID,
                pairs=PAIRS,
                max_open_trades=len(PAIRS),
                stake_amount=50,
                config_overrides={"force_entry_enable": True},
            )
            await client.add_bot(body)
            status = await client.wait_for_state(BOT_ID, "running", 90)
            for kill in range(KILLS):
                born = time.monotonic()
                moment = "mid-trade" if kill == 0 else rng.choice(MOMENTS)
                moments[moment] += 1
                pid = status["pid"]
                in_flight: asyncio.Task[None] | None = None
                if moment != "starting":
                    status = await client.wait_for_state(BOT_ID, "running", 60)
                    assert status["pid"] == pid
                    now = await seen_trades(status)
                    assert not still_there(seen, now), f"seed {seed}, kill {kill}"
                    seen.update(now)
                    if moment == "mid-trade":
                        await _force_action(status, seen, rng)
                        await asyncio.sleep(rng.uniform(0, 0.3))
                    else:
                        in_flight = asyncio.create_task(_force_action(status, seen, rng))
                        await asyncio.sleep(rng.uniform(0, 0.05))
                await asyncio.sleep(max(born + rng.uniform(MIN_LIFE, 0.6) - time.monotonic(), 0))
                os.kill(pid, signal.SIGKILL)
                if in_flight is not None:
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        await in_flight
                status = await _next_process(client, pid, kill + 1)

            status = await client.wait_for_state(BOT_ID, "running", 60)
            final = await seen_trades(status)
            assert not still_there(seen, final), f"seed {seed}, after the last kill"
            seen.update(final)
            assert status["restarts"] == KILLS
            assert status["state"] == "running"
            await client.stop_bot(BOT_ID)
            await client.wait_for_state(BOT_ID, "stopped", 30)

    database = check_database(BotPaths.of(data, BOT_ID).database)
    elapsed = time.monotonic() - started
    print(  # noqa: T201 - the figures the README quotes (pytest -s)
        f"bot kill: {KILLS} kills {dict(moments)}, {status['restarts']} restarts, "
        f"{len(database.trade_ids)} trades ({len(seen)} seen open or closed), "
        f"{elapsed:.0f} s, seed {seed}"
    )
    assert database.integrity == "ok"
    assert database.duplicated() == []
    assert set(seen) <= set(database.trade_ids)
    # The kills did land between trade writes: the bot made and kept trades throughout.
    assert len(database.trade_ids) >= 5
    assert moments["mid-write"] >= 10
