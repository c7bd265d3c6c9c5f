"""A real bot in a real pool sells part of a position at a ladder rung and keeps the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runtime.rpc.client import PoolClient
from strategies.take_profit_ladder import CONFIG_KEY
from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.helpers import async_wait_until
from tests.runtime.botapi import bot_get, bot_post

BOT = {
    "bot_id": "ladder",
    "owner": "alice",
    "strategy": "SafeDefaultStrategy",  # never enters on its own: the test forces one entry
    "pairs": ["BTC/USDT"],
    "stake_currency": "USDT",
    "dry_run_wallet": 1000,
    "config_overrides": {
        "force_entry_enable": True,
        "position_adjustment_enable": True,
        # A rung at -100 % is reached at once: half the position is sold on the next loop.
        CONFIG_KEY: [{"profit": -1.0, "exit_share": 0.5}],
        "minimal_roi": {"0": 100.0},  # the top level, never reached here
    },
}


@pytest.mark.e2e
async def test_a_rung_sells_half_and_the_trade_stays_open(tmp_path: Path, sandbox_url: str) -> None:
    with running_pool(tmp_path / "pool", sandbox_url, pool_id="ladder-pool") as pool:
        async with PoolClient(pool.url, POOL_TOKEN, timeout=60) as client:
            await client.add_bot(BOT)
            bot = await client.wait_for_state("ladder", "running", deadline_s=120)

            async def entered() -> Any:
                try:
                    return await bot_post(bot, "forceenter", {"pair": "BTC/USDT"})
                except Exception:  # the bot refuses until its first loop loaded the pair
                    return None

            await async_wait_until(entered, timeout=90, interval=1, what="a forced entry")

            async def partly_sold() -> dict[str, Any] | None:
                trades = await bot_get(bot, "status")
                sells = [
                    o for t in trades for o in t["orders"]
                    if o["ft_order_side"] == "sell" and o["status"] == "closed"
                ]  # fmt: skip
                if not sells:
                    return None
                # The API thread can read the trade while the loop is handling the fill (the
                # order already closed, the amount not yet reduced): wait for the settled trade.
                sold = sum(o["filled"] for o in sells)
                bought = trades[0]["orders"][0]["filled"]
                settled = trades[0]["amount"] == pytest.approx(bought - sold)
                return trades[0] if settled else None

            held = await async_wait_until(partly_sold, timeout=60, interval=1, what="a rung sold")
            buy, sell = held["orders"]
            assert sell["ft_order_tag"] == "take_profit_1"
            assert sell["filled"] == pytest.approx(buy["filled"] / 2, rel=0.01)
            assert held["is_open"] is True
            assert held["amount"] == pytest.approx(buy["filled"] - sell["filled"])
            # One rung only: later loops sell nothing more.
            await async_wait_until(
                lambda: _loops_after(bot, held), timeout=30, interval=1, what="more loops"
            )
            (still,) = await bot_get(bot, "status")
            assert len(still["orders"]) == 2 and still["amount"] == held["amount"]


async def _loops_after(bot: dict[str, Any], held: dict[str, Any]) -> bool:
    """True once the bot's trading loop last ran over 10 s after the rung was sold.

    FreqTrade loops every `process_throttle_secs` (runtime/botconfig.py): a few more loops.
    """
    health = await bot_get(bot, "health")
    sold_at = max(o["order_filled_timestamp"] or 0 for o in held["orders"]) / 1000
    return bool(health["last_process_ts"] and health["last_process_ts"] > sold_at + 10)
