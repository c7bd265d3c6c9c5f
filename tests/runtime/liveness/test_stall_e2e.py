"""A real FreqTrade bot whose strategy blocks forever: its heartbeats stop, the pool reports
it stalled, restarts it with the reason, and the new process heartbeats again."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from runtime.botconfig import read_sources, strategies_dir
from runtime.rpc.app import create_app
from tests.helpers import async_wait_until
from tests.runtime.botapi import bot_post
from tests.runtime.conftest import AUTH, bot_body

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]

# Blocks inside FreqTrade's loop (populate_indicators runs in every pass) while the marker
# file exists: the process and its REST API stay up, the trading loop stops.
STALLER = """
import time
from pathlib import Path

from pandas import DataFrame
from freqtrade.strategy import IStrategy

MARKER = Path({marker!r})


class StallProbe(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {{"0": 100.0}}
    stoploss = -0.99
    process_only_new_candles = False

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        while MARKER.exists():
            time.sleep(0.2)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 0
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe
"""


async def _bot(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.get("/bots/stuck")
    assert response.status == 200
    return dict((await response.json())["bot"])


async def _metrics(client: TestClient[Any, Any]) -> dict[str, float]:
    text = await (await client.get("/metrics")).text()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("bot_id") == "stuck"
    }


@pytest.mark.e2e
async def test_a_stuck_bot_is_reported_stalled_and_restarted(
    aiohttp_client: ClientFactory, make_settings: Any, sandbox_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "stall-now"
    settings = make_settings(
        exchange_url=sandbox_url,
        stall_factor=2.0,
        stall_min_seconds=6.0,
        stall_grace_seconds=2.0,
        stall_check_seconds=0.25,
        stop_grace=2.0,
    )
    client = await aiohttp_client(create_app(settings), headers=AUTH)  # real forkserver
    files = {**read_sources(strategies_dir()), "stall_probe.py": STALLER.format(marker=str(marker))}
    body = bot_body(
        "stuck",
        strategy="StallProbe",
        pairs=["BTC/USDT"],
        strategy_version={"commit": "d" * 40, "version": 1, "files": files},
        config_overrides={"internals": {"process_throttle_secs": 1}},
    )
    assert (await client.post("/bots", json=body)).status == 201

    async def beating() -> dict[str, Any] | None:
        bot = await _bot(client)
        beat = bot["heartbeat"]
        return bot if beat is not None and beat["age_s"] < 3 and beat["pairs"] == 1 else None

    healthy = await async_wait_until(beating, timeout=120, what="heartbeats from the loop")
    first_pid = healthy["pid"]
    assert healthy["state"] == "running" and healthy["stalled"] is False
    assert healthy["heartbeat"]["throttle_s"] == 1.0 and healthy["heartbeat"]["state"] == "running"
    assert healthy["heartbeat"]["pid"] == first_pid
    seen = await _metrics(client)
    assert seen["cryptopilot_bot_heartbeat_age_seconds"] < 3
    assert seen["cryptopilot_bot_throttle_seconds"] == 1.0
    assert seen["cryptopilot_bot_stalled"] == 0

    # Paused through FreqTrade's own API, the loop still passes: not a stall.
    await bot_post(healthy, "stop", {})

    async def paused() -> dict[str, Any] | None:
        bot = await beating()
        return bot if bot is not None and bot["heartbeat"]["state"] == "stopped" else None

    held = await async_wait_until(paused, timeout=30, interval=0.2, what="heartbeats while paused")
    assert held["stalled"] is False and held["pid"] == first_pid
    await bot_post(healthy, "start", {})

    async def resumed() -> dict[str, Any] | None:
        bot = await beating()
        return bot if bot is not None and bot["heartbeat"]["state"] == "running" else None

    await async_wait_until(resumed, timeout=30, interval=0.2, what="heartbeats after resume")

    marker.touch()  # the next pass blocks forever
    blocked_at = time.monotonic()

    async def stalled() -> dict[str, Any] | None:
        bot = await _bot(client)
        return bot if bot["stalled"] else None

    caught = await async_wait_until(stalled, timeout=30, interval=0.1, what="reported stalled")
    assert caught["state"] == "running" and caught["pid"] == first_pid  # alive, API answers
    assert caught["heartbeat"]["age_s"] > 6
    assert (await _metrics(client))["cryptopilot_bot_stalled"] == 1

    async def restarted() -> dict[str, Any] | None:
        bot = await _bot(client)
        new_process = bot["pid"] not in (None, first_pid) and bot["state"] != "backoff"
        return bot if bot["stall_restarts"] == 1 and new_process else None

    after = await async_wait_until(restarted, timeout=30, interval=0.1, what="stall restart")
    assert time.monotonic() - blocked_at >= 6 + 2  # not before the limit and the grace
    assert after["last_exit"].startswith("stalled: no loop pass for ")
    assert after["last_exit"].endswith("(throttle 1s)")
    assert after["restarts"] == 1 and after["stalled"] is False
    marker.unlink()  # the new process's loop runs freely

    async def beating_again() -> dict[str, Any] | None:
        bot = await beating()
        return bot if bot is not None and bot["heartbeat"]["pid"] == bot["pid"] else None

    again = await async_wait_until(beating_again, timeout=120, what="heartbeats after restart")
    assert again["pid"] != first_pid and again["stall_restarts"] == 1
    seen = await _metrics(client)
    assert seen["cryptopilot_bot_stall_restarts_total"] == 1
    assert seen["cryptopilot_bot_stalled"] == 0
