"""One pool with real forked FreqTrade bots against the real sandbox (in-process supervisor).

The scenarios share one pool, in order: that is how a pool lives, and it keeps the suite
fast on two cores.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from runtime.ports import port_is_free
from runtime.priority import autogroup_nice, thread_nices
from runtime.rpc.app import create_app
from tests.helpers import async_wait_until
from tests.runtime.botapi import bot_get, trade_ids
from tests.runtime.conftest import AUTH, bot_body

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]

BODIES = [
    bot_body("scalp", pairs=["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"], dry_run_wallet=1000),
    bot_body(
        "emarsi",
        strategy="EmaRsiStrategy",
        pairs=["BTC/USD", "ETH/USD"],
        stake_currency="USD",
        dry_run_wallet=2000,
    ),
    bot_body("euro", pairs=["BTC/EUR", "ETH/EUR"], stake_currency="EUR", dry_run_wallet=3000),
]


async def _status(client: TestClient[Any, Any], bot_id: str) -> dict[str, Any]:
    response = await client.get(f"/bots/{bot_id}")
    assert response.status == 200
    return dict((await response.json())["bot"])


async def _metrics(client: TestClient[Any, Any]) -> dict[str, float]:
    """One scrape of the pool's /metrics: each sample keyed `name{label=value,...}`."""
    response = await client.get("/metrics")
    assert response.status == 200
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


async def _running(client: TestClient[Any, Any], bot_id: str, limit: float = 90) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        bot = await _status(client, bot_id)
        return bot if bot["state"] == "running" else None

    return await async_wait_until(check, timeout=limit, what=f"{bot_id} running")


@pytest.mark.e2e
async def test_pool_with_real_bots(
    aiohttp_client: ClientFactory, make_settings: Any, sandbox_url: str
) -> None:
    settings = make_settings(exchange_url=sandbox_url, capacity=4)
    client = await aiohttp_client(create_app(settings), headers=AUTH)  # real forkserver

    # Pairs are checked against the market list the sandbox serves (read by a warm child).
    unlisted = {**BODIES[0], "bot_id": "unlisted", "pairs": ["NOPE/USDT"]}
    refused = await client.post("/bots", json=unlisted)
    assert refused.status == 422 and (await refused.json())["code"] == "UNKNOWN_PAIR"
    for body in BODIES:
        assert (await client.post("/bots", json=body)).status == 201
    bots = {b["bot_id"]: await _running(client, b["bot_id"]) for b in BODIES}

    # Each bot's own REST API answers with the wallet it was given.
    for body in BODIES:
        bot = bots[body["bot_id"]]
        assert await bot_get(bot, "ping") == {"status": "pong"}
        balance = await bot_get(bot, "balance")
        assert balance["stake"] == body["stake_currency"]
        # FreqTrade's starting capital is the wallet times tradable_balance_ratio (0.99).
        assert balance["starting_capital"] == pytest.approx(body["dry_run_wallet"] * 0.99)
        assert bot["memory"]["pss_bytes"] > 0

    # The scalper opens a dry-run trade on its own.
    scalp = bots["scalp"]

    async def has_trade() -> set[int]:
        return await trade_ids(scalp)

    trades = await async_wait_until(has_trade, timeout=150, interval=1, what="a dry-run trade")

    # Past its first loop pass every thread of a bot runs at the pool's bot_nice (5): starting
    # bots and this supervisor go first.
    assert settings.bot_nice == 5
    for bot in bots.values():

        async def niced(pid: int = bot["pid"]) -> bool:
            return set(thread_nices(pid).values()) == {settings.bot_nice}

        await async_wait_until(niced, timeout=60, what=f"{bot['bot_id']} at nice 5")
        assert autogroup_nice(bot["pid"]) in (None, settings.bot_nice)
    assert set(thread_nices().values()) == {os.getpriority(os.PRIO_PROCESS, 0)}

    # The pool's metrics see the real processes: the bots, the supervisor, the warm parent.
    seen = await _metrics(client)
    for bot_id in bots:
        key = f"{{bot_id={bot_id},pool=test}}"
        assert seen[f"cryptopilot_bot_up{key}"] == 1
        assert seen[f"cryptopilot_bot_desired_running{key}"] == 1
        assert seen[f"cryptopilot_bot_pss_bytes{key}"] > 0
        assert seen[f"cryptopilot_bot_resident_memory_bytes{key}"] > 0
        assert seen[f"cryptopilot_bot_cpu_seconds_total{key}"] > 0
        assert seen[f"cryptopilot_bot_restarts_total{key}"] == 0
    for process in ("supervisor", "warm_parent"):
        key = f"{{pool=test,process={process}}}"
        assert seen[f"cryptopilot_pool_process_pss_bytes{key}"] > 0
        assert seen[f"cryptopilot_pool_process_resident_memory_bytes{key}"] > 0
        assert seen[f"cryptopilot_pool_process_cpu_seconds_total{key}"] > 0
    assert seen["cryptopilot_pool_hot_add_duration_seconds_count{pool=test}"] == len(BODIES)
    assert seen["cryptopilot_pool_memory_pss_bytes{pool=test}"] > sum(
        seen[f"cryptopilot_bot_pss_bytes{{bot_id={bot_id},pool=test}}"] for bot_id in bots
    )
    assert not any(name.startswith("cryptopilot_bot_last_exit") for name in seen)

    # kill -9 one bot: back on the same port, same trades; the others untouched.
    others = {bot_id: bots[bot_id]["pid"] for bot_id in ("emarsi", "euro")}
    os.kill(scalp["pid"], signal.SIGKILL)

    async def restarted() -> dict[str, Any] | None:
        bot = await _status(client, "scalp")
        ok = bot["state"] == "running" and bot["pid"] != scalp["pid"]
        return bot if ok else None

    back = await async_wait_until(restarted, timeout=60, what="scalp restarted")
    assert back["restarts"] == 1
    assert back["last_exit"] == "killed by SIGKILL"
    assert back["api_port"] == scalp["api_port"]
    assert trades <= await trade_ids(back)
    for bot_id, pid in others.items():
        assert (await _status(client, bot_id))["pid"] == pid

    # ... and Prometheus sees the restart and why the bot went down.
    seen = await _metrics(client)
    assert seen["cryptopilot_bot_restarts_total{bot_id=scalp,pool=test}"] >= 1
    assert seen["cryptopilot_bot_last_exit{bot_id=scalp,pool=test,reason=signal}"] == 1
    assert seen["cryptopilot_bot_up{bot_id=scalp,pool=test}"] == 1
    assert seen["cryptopilot_bot_restarts_total{bot_id=emarsi,pool=test}"] == 0
    # A restart after a crash is no hot add.
    assert seen["cryptopilot_pool_hot_add_duration_seconds_count{pool=test}"] == len(BODIES)

    # Remove one bot: the others untouched, its port reusable.
    euro_port = bots["euro"]["api_port"]
    assert (await client.delete("/bots/euro")).status == 200
    assert port_is_free(euro_port)
    assert (await _status(client, "emarsi"))["pid"] == others["emarsi"]
    assert (await _status(client, "scalp"))["pid"] == back["pid"]
    response = await client.post("/bots", json=bot_body("late", dry_run_wallet=777))
    late = (await response.json())["bot"]
    assert late["api_port"] == euro_port
    late = await _running(client, "late")
    assert (await bot_get(late, "balance"))["starting_capital"] == pytest.approx(777 * 0.99)

    # Conflicts answer clearly while real bots run.
    dup = await client.post("/bots", json=BODIES[0])
    assert (await dup.json())["code"] == "BOT_EXISTS"
    health = await (await client.get("/health")).json()
    assert health["states"]["running"] == 3
    assert health["memory"]["forkserver_pss_bytes"] > 0
    # The warm parent opted its memory and its bots' into KSM (the pool's default `ksm`).
    assert settings.ksm is True
    assert health["memory"]["ksm"]["bots_mergeable"] is True
    assert health["memory"]["ksm"]["bots_merged_bytes"] >= 0
    assert health["memory"]["ksm"]["host"]["running"] in (True, False)
