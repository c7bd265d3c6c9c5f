"""One bot's folder runs out of disk space while it trades: that bot fails cleanly with the
reason in its pool status, and the other bots of the pool do not notice.

A 16 MiB tmpfs is mounted over the bot's folder (its files copied in) while the bot is
stopped; the bot is started on it, then the tmpfs is filled and the bot is made to write
(forced entries). Needs root and mount(8): skipped without them, failed under `CI=true`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from pathlib import Path

import aiohttp
import pytest

from runtime.botconfig import BotPaths
from runtime.rpc.client import PoolClient
from tests.faults.trades import still_there
from tests.fixtures.pools import running_pool
from tests.fixtures.tmpfs import fill, tmpfs_over
from tests.helpers import async_wait_until
from tests.runtime.botapi import bot_get, bot_post, ensure_trade, seen_trades
from tests.runtime.conftest import TOKEN, bot_body

FULL, OTHERS = "full", ("ok1", "ok2")
FORCE = {"force_entry_enable": True}
PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"]
# What SQLite and the OS say when the disk is full.
DISK_FULL = ("No space left on device", "database or disk is full")


def _says_disk_full(reason: str | None) -> bool:
    return reason is not None and any(text in reason for text in DISK_FULL)


@pytest.mark.e2e
async def test_a_bot_out_of_disk_space_fails_with_the_reason_others_untouched(
    tmp_path: Path, sandbox_url: str
) -> None:
    data = tmp_path / "pool"
    with running_pool(data, sandbox_url, pool_id="disk", token=TOKEN) as pool:
        async with PoolClient(pool.url, TOKEN) as client:
            for bot_id in (FULL, *OTHERS):
                body = bot_body(bot_id, pairs=PAIRS, max_open_trades=4, config_overrides=FORCE)
                await client.add_bot(body)
            bots = {b: await client.wait_for_state(b, "running", 90) for b in (FULL, *OTHERS)}
            for bot in bots.values():
                await async_wait_until(functools.partial(ensure_trade, bot), 30, what="a trade")

            await client.stop_bot(FULL)
            await client.wait_for_state(FULL, "stopped", 30)
            folder = BotPaths.of(data, FULL).root
            with tmpfs_over(folder, "16m"):
                await client.start_bot(FULL)
                full = await client.wait_for_state(FULL, "running", 90)
                before = {b: await seen_trades(bots[b]) for b in OTHERS}
                fill(folder)
                filled = time.monotonic()
                crashes: list[str] = []
                first_exit_s: float | None = None
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    for pair in PAIRS:  # every forced entry is a trade write
                        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                            await bot_post(full, "forceenter", {"pair": pair})
                    status = await client.bot_status(FULL)
                    reason = status["last_exit"]
                    if reason and not reason.startswith("stopped") and reason not in crashes:
                        crashes.append(reason)
                        first_exit_s = first_exit_s or time.monotonic() - filled
                    if status["state"] == "fatal":
                        break
                    await asyncio.sleep(0.3)
                print(  # noqa: T201 - the figures the README quotes (pytest -s)
                    f"disk full: first exit after {first_exit_s or 0:.1f} s, fatal after "
                    f"{time.monotonic() - filled:.1f} s; exits {crashes}; "
                    f"fatal: {status['fatal_reason']}"
                )

                # The bot's own exit names the full disk, so do the restarts the policy tried
                # (its files cannot be written) and the fatal verdict that ends them.
                assert status["state"] == "fatal"
                assert crashes, "the bot never exited"
                assert _says_disk_full(crashes[0]), crashes
                assert _says_disk_full(status["fatal_reason"])
                assert status["pid"] is None

                for bot_id in OTHERS:
                    other = await client.bot_status(bot_id)
                    assert other["state"] == "running"
                    assert other["pid"] == bots[bot_id]["pid"]
                    assert other["restarts"] == 0
                    assert (await bot_get(other, "ping"))["status"] == "pong"
                    assert not still_there(before[bot_id], await seen_trades(other))
                await client.stop_bot(FULL)  # fatal -> stopped before the tmpfs goes
