"""The strategy store end to end: real git repository, real validation, a real pool's bots.

An admin publishes a strategy, a user's bot runs it with an open trade, the admin deploys a
new version to that running bot (the trade survives), rolls back (the bot runs the old
version), and deploys a version that validates but fails once trading: the bot is rolled
back on its own. The user switches strategies with S3/S4 among published ones only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.keys import SERVICES, SETTINGS
from gateway.usercli import create_user
from tests.fixtures.pools import gateway_settings, running_pool
from tests.gateway.conftest import PASSWORD, register_and_login
from tests.helpers import async_wait_until

AppClient = TestClient[Any, Any]

HOLD = '''"""HoldStrategy: buys at once and holds, so a trade stays open through deploys."""

from freqtrade.strategy import IStrategy
from pandas import DataFrame


class HoldStrategy(IStrategy):
    """Enters on every candle and never sells ({note})."""

    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {{"0": 100.0}}
    stoploss = -0.99
    use_exit_signal = False
    startup_candle_count = 0
{extra}
    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[:, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[:, "exit_long"] = 0
        return dataframe
'''
# Passes validation (a backtest) but raises as soon as it trades.
FAILS_LIVE = """
    def bot_start(self, **kwargs) -> None:
        if self.config["runmode"].value in ("dry_run", "live"):
            raise RuntimeError("this version only fails when trading")
"""


def hold(note: str, extra: str = "") -> str:
    return HOLD.format(note=note, extra=extra)


@pytest.mark.e2e
async def test_publish_deploy_rollback_on_a_running_bot_with_an_open_trade(
    aiohttp_client: Callable[..., Awaitable[AppClient]], sandbox_url: str, tmp_path: Path
) -> None:
    with running_pool(tmp_path / "pool-a", sandbox_url, pool_id="pool-a", capacity=2) as pool:
        settings = gateway_settings(
            tmp_path, {"pool-a": pool.url}, market_url=sandbox_url, strategy_deploy_deadline=60
        )
        client = await aiohttp_client(create_app(settings))
        await create_user(client.app[SETTINGS], "root@example.com", PASSWORD, "root", admin=True)
        root = await register_and_login_admin(client)
        alice = await register_and_login(client, "alice@example.com")
        bob = await register_and_login(client, "bob@example.com")

        async def admin(method: str, path: str, body: Any, status: int = 200) -> Any:
            response = await client.request(method, path, json=body, headers=root)
            assert response.status == status, await response.text()
            return await response.json()

        published = await admin(
            "POST",
            "/api/admin/strategies",
            {"fileName": "hold.py", "source": hold("v1"), "message": "Add HoldStrategy"},
            201,
        )
        v1_commit = published["commit"]

        async def pool_healthy() -> bool:
            return bool(await client.app[SERVICES].pools.placement_candidates())

        await async_wait_until(pool_healthy, timeout=30, what="pool healthy")
        response = await client.post(
            "/api/freqtrade/provision",
            json={
                "instanceId": "alice-bot-1", "strategy": "HoldStrategy", "exchange": "kraken",
                "stake_currency": "USD", "stake_amount": 50, "max_open_trades": 1,
                "dry_run": True, "tradingPairs": ["BTC/USD"], "initialBalance": 200,
                "timeframe": "1m",
            },
            headers=alice.auth,
        )  # fmt: skip
        assert response.status == 201, await response.text()
        [bot] = await bots(client, alice.auth)
        assert (bot["strategyVersion"], bot["strategyCommit"]) == (1, v1_commit)

        async def open_trade() -> dict[str, Any] | None:
            response = await client.get(
                "/api/freqtrade/proxy/alice-bot-1/api/v1/status", headers=alice.auth
            )
            rows = await response.json() if response.status == 200 else []
            return rows[0] if rows else None

        trade = await async_wait_until(open_trade, timeout=180, interval=2, what="a trade")

        # A new version, deployed to the running bot: the trade survives.
        await admin(
            "POST",
            "/api/admin/strategies",
            {"fileName": "hold.py", "source": hold("v2"), "message": "Say v2"},
            201,
        )
        deployed = await admin(
            "POST",
            "/api/admin/strategies/HoldStrategy/deploy",
            {"version": 2, "botId": "alice-bot-1"},
        )
        [done] = deployed["bots"]
        assert (done["version"], done["rolledBack"]) == (2, False), done
        assert done["applied"] in ("reload", "restart") and done["seconds"] > 0
        still = await async_wait_until(open_trade, timeout=60, interval=1, what="trade back")
        assert (still["trade_id"], still["open_date"]) == (trade["trade_id"], trade["open_date"])
        status = await pool_status(client, "alice-bot-1")
        assert status["strategy_version"]["version"] == 2
        response = await client.get("/api/freqtrade/bots/alice-bot-1/strategy", headers=alice.auth)
        s3 = (await response.json())["strategy"]
        assert s3["current"] == "HoldStrategy" and isinstance(s3["current"], str)
        assert s3["version"] == 2 and "HoldStrategy" in s3["available"]

        # Roll back to version 1: the default again, and the bot runs it.
        rolled = await admin("POST", "/api/admin/strategies/HoldStrategy/rollback", {"version": 1})
        assert rolled["defaultSet"] is True and rolled["bots"][0]["version"] == 1
        assert (await pool_status(client, "alice-bot-1"))["strategy_version"] == {
            "commit": v1_commit,
            "version": 1,
        }
        [bot] = await bots(client, alice.auth)
        assert bot["strategyVersion"] == 1 and bot["containerStatus"] == "running"
        again = await async_wait_until(open_trade, timeout=60, interval=1, what="trade back")
        assert again["trade_id"] == trade["trade_id"]

        # A version that validates but fails once trading is rolled back on its own.
        await admin(
            "POST",
            "/api/admin/strategies",
            {"fileName": "hold.py", "source": hold("v3", FAILS_LIVE), "message": "Break it"},
            201,
        )
        failed = await admin(
            "POST",
            "/api/admin/strategies/HoldStrategy/deploy",
            {"version": 3, "allBots": True},
        )
        [done] = failed["bots"]
        assert done["rolledBack"] is True and done["version"] == 1, done
        assert "rolled back automatically: alice-bot-1" in failed["message"]

        async def back_on_v1() -> bool:
            status = await pool_status(client, "alice-bot-1")
            version = status.get("strategy_version") or {}
            return status["state"] == "running" and version.get("version") == 1

        await async_wait_until(back_on_v1, timeout=90, interval=1, what="v1 running again")
        assert (await bots(client, alice.auth))[0]["strategyVersion"] == 1

        # S4: the user picks among published strategies only, on their own bots only.
        switch = "/api/freqtrade/bots/alice-bot-1/strategy"
        response = await client.put(switch, json={"strategy": "Nope"}, headers=alice.auth)
        assert response.status == 422
        response = await client.put(switch, json={"strategy": "SandboxScalp1m"}, headers=bob.auth)
        assert response.status == 404  # someone else's bot answers as a missing one
        response = await client.put(switch, json={"strategy": "SandboxScalp1m"}, headers=alice.auth)
        assert response.status == 200, await response.text()
        s4 = await response.json()
        assert s4["success"] is True and isinstance(s4["message"], str)
        assert s4["strategy"]["previous"] == "HoldStrategy"
        assert s4["strategy"]["current"] == "SandboxScalp1m"
        assert isinstance(s4["strategy"]["restarted"], bool)
        [bot] = await bots(client, alice.auth)
        assert bot["strategy"] == "SandboxScalp1m" and bot["strategyVersion"] == 1


async def register_and_login_admin(client: AppClient) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login", json={"email": "root@example.com", "password": PASSWORD}
    )
    assert response.status == 200
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def bots(client: AppClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/freqtrade/bots", headers=auth)
    assert response.status == 200
    return list((await response.json())["bots"])


async def pool_status(client: AppClient, bot_id: str) -> dict[str, Any]:
    return dict(await client.app[SERVICES].pools.control("pool-a").bot_status(bot_id))
