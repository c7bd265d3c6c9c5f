"""Deploying strategy versions to a real running bot on the sandbox, with an open trade.

A change of only the strategy's own file is reloaded by FreqTrade in the same process; a
change of a module it imports restarts the bot; either way the trade stays open and the bot
runs the new code. A class the version does not define is refused before anything changes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from runtime.botconfig import read_sources, strategies_dir
from runtime.rpc.app import create_app
from tests.helpers import async_wait_until
from tests.runtime.botapi import bot_get, bot_post
from tests.runtime.conftest import AUTH, bot_body

logger = logging.getLogger(__name__)

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]

# Enters only when forced and never exits by itself, so the trade stays open throughout;
# `version()` (FreqTrade's show_config `strategy_version`) says which code runs.
PROBE = """
from pandas import DataFrame
from freqtrade.strategy import IStrategy

from probe_helper import HELPER

OWN = "{own}"


class DeployProbe(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {{"0": 100.0}}
    stoploss = -0.99
    use_exit_signal = False

    def version(self) -> str:
        return f"{{OWN}}/{{HELPER}}"

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 0
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe
"""


def tree(commit: str, number: int, own: str, helper: str) -> dict[str, Any]:
    files = {
        **read_sources(strategies_dir()),
        "deploy_probe.py": PROBE.format(own=own),
        "probe_helper.py": f'HELPER = "{helper}"\n',
    }
    return {"commit": commit, "version": number, "files": files}


async def _status(client: TestClient[Any, Any], bot_id: str) -> dict[str, Any]:
    response = await client.get(f"/bots/{bot_id}")
    assert response.status == 200
    return dict((await response.json())["bot"])


async def _open_trades(bot: dict[str, Any]) -> set[int]:
    return {int(t["trade_id"]) for t in await bot_get(bot, "status") if t["is_open"]}


async def _deploy(client: TestClient[Any, Any], body: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    response = await client.patch("/bots/probe", json=body)
    reply = dict(await response.json())
    assert response.status == 200, reply
    logger.warning(
        "deploy by %s: %.2fs in the pool, %.2fs for the call",
        reply["applied"],
        reply["apply_s"],
        time.monotonic() - started,
    )
    return reply


@pytest.mark.e2e
async def test_deploy_to_a_running_bot_keeps_its_open_trade(
    aiohttp_client: ClientFactory, make_settings: Any, sandbox_url: str
) -> None:
    settings = make_settings(exchange_url=sandbox_url)
    client = await aiohttp_client(create_app(settings), headers=AUTH)  # real forkserver
    root = settings.data_dir / "strategies"
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    body = bot_body(
        "probe",
        strategy="DeployProbe",
        pairs=["BTC/USDT"],
        strategy_version=tree(a, 1, "s1", "h1"),
        config_overrides={"force_entry_enable": True},
    )
    assert (await client.post("/bots", json=body)).status == 201

    async def running() -> dict[str, Any] | None:
        bot = await _status(client, "probe")
        return bot if bot["state"] == "running" else None

    bot = await async_wait_until(running, timeout=90, what="probe running")
    assert (await bot_get(bot, "show_config"))["strategy_version"] == "s1/h1"

    async def entered() -> set[int]:
        return await _open_trades(bot)

    await bot_post(bot, "forceenter", {"pair": "BTC/USDT"})
    trades = await async_wait_until(entered, timeout=60, interval=0.5, what="an open trade")

    # Only the strategy's own file changed: FreqTrade reloads it in the running process,
    # meanwhile the bot is busy for other commands.
    deploying = asyncio.ensure_future(_deploy(client, {"strategy_version": tree(b, 2, "s2", "h1")}))

    async def busy() -> dict[str, Any] | None:
        status = await _status(client, "probe")
        return status if status["busy"] == "reloading" else None

    await async_wait_until(busy, timeout=30, interval=0.05, what="busy reloading")
    conflict = await client.post("/bots/probe/restart")
    assert conflict.status == 409 and (await conflict.json())["code"] == "BOT_BUSY"
    reloaded = await deploying
    assert reloaded["applied"] == "reload" and reloaded["healthy"] is True
    assert reloaded["restarted"] is False
    after = reloaded["bot"]
    assert after["pid"] == bot["pid"] and after["state"] == "running" and after["busy"] is None
    assert after["strategy_version"] == {"commit": b, "version": 2}
    assert after["strategy_applied"] == "reload" and after["strategy_applied_at"]
    assert (await bot_get(after, "show_config"))["strategy_version"] == "s2/h1"
    assert trades <= await _open_trades(after)
    assert [p.name for p in root.iterdir()] == [b]  # the last bot left A

    # A module it imports changed: a reload would keep the old one cached, so it restarts.
    restarted = await _deploy(client, {"strategy_version": tree(c, 3, "s2", "h2")})
    assert restarted["applied"] == "restart" and restarted["healthy"] is True
    after = restarted["bot"]
    assert after["pid"] != bot["pid"] and after["state"] == "running"
    assert (await bot_get(after, "show_config"))["strategy_version"] == "s2/h2"
    assert trades <= await _open_trades(after)
    status = await _status(client, "probe")
    assert status["strategy_version"] == {"commit": c, "version": 3}
    assert status["strategy_applied"] == "restart"

    # A class the version does not define: refused, the bot untouched.
    refused = await client.patch(
        "/bots/probe", json={"strategy": "Nope", "strategy_version": tree(a, 4, "s3", "h3")}
    )
    assert refused.status == 422 and (await refused.json())["code"] == "UNKNOWN_STRATEGY"
    same = await _status(client, "probe")
    assert same["pid"] == after["pid"] and same["spec"] == status["spec"]
    assert [p.name for p in root.iterdir()] == [c]
    assert (await bot_get(same, "show_config"))["strategy_version"] == "s2/h2"

    # Why: FreqTrade's reload executes the strategy's file again but keeps the modules it
    # imports. Point the bot at a tree with another helper and reload it by hand: the old
    # helper still answers (the pool would have restarted it).
    elsewhere = settings.data_dir / "elsewhere"
    elsewhere.mkdir()
    for relative, source in tree(a, 9, "s9", "h9")["files"].items():
        (elsewhere / relative).write_text(source)
    config_path = settings.data_dir / "bots" / "probe" / "config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "strategy_path": str(elsewhere)}))
    await bot_post(same, "reload_config", {})

    async def reloaded_by_hand() -> str | None:
        try:
            shown = str((await bot_get(same, "show_config"))["strategy_version"])
        except aiohttp.ClientError:  # its API restarts during the reload
            return None
        return shown if shown.startswith("s9") else None

    shown = await async_wait_until(reloaded_by_hand, timeout=60, what="the reload by hand")
    assert shown == "s9/h2"
    assert (await _status(client, "probe"))["pid"] == same["pid"]
