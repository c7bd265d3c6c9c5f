"""R1-R8 over HTTP on both databases: field names and types, validation, ownership."""

from __future__ import annotations

import json
from typing import Any

from gateway.keys import SERVICES
from tests.gateway.conftest import Account, AppClient, register_and_login

SETTINGS = "/api/freqtrade/universal-settings"
FEATURES = "/api/freqtrade/universal-features"


async def _bot(client: AppClient, owner: Account, bot_id: str, **extra: Any) -> None:
    values: dict[str, Any] = {
        "id": bot_id, "user_id": owner.user_id, "pool_id": None,
        "strategy": "SafeDefaultStrategy", "exchange": "binance", "stake_currency": "USDT",
        "stake_amount": "unlimited", "max_open_trades": 3, "timeframe": "5m",
        "pairs": ["BTC/USDT"], "dry_run": True, "wallet_cents": 100_000,
        "desired_state": "running",
    }  # fmt: skip
    await client.app[SERVICES].bot_store.create(**{**values, **extra})


async def _json(response: Any, status: int) -> dict[str, Any]:
    body = await response.json()
    assert response.status == status, body
    return dict(body)


async def test_r1_lists_every_bot_with_settings(client: AppClient) -> None:
    alice = await register_and_login(client)
    await _bot(client, alice, "a1")
    await _bot(client, alice, "a2", observed_state="running")
    await _json(await client.put(f"{SETTINGS}/a2", json={"riskLevel": 80}, headers=alice.auth), 200)

    body = await _json(await client.get(SETTINGS, headers=alice.auth), 200)
    defaults = {"enabled": True, "riskLevel": 50, "autoRebalance": True, "dcaEnabled": True}
    assert body["success"] is True and isinstance(body["message"], str)
    assert body["defaults"] == defaults
    assert body["totalBots"] == 2 and body["runningBots"] == 1
    first, second = body["bots"]
    assert set(first) == {
        "instanceId", "poolId", "settings", "defaults", "isRunning", "isNewBot", "lastUpdated"
    }  # fmt: skip
    assert first["instanceId"] == "a1" and first["poolId"] is None
    assert first["settings"] == {**defaults, "createdAt": None, "updatedAt": None}
    assert first["isNewBot"] is True and first["isRunning"] is False
    assert first["lastUpdated"] is None and first["defaults"] == defaults
    assert second["instanceId"] == "a2" and second["isRunning"] is True
    assert second["isNewBot"] is False and second["settings"]["riskLevel"] == 80
    assert second["lastUpdated"] == second["settings"]["updatedAt"]
    assert second["lastUpdated"].endswith("Z")
    assert "botConfig" not in second

    bob = await register_and_login(client, "bob@example.com")
    assert (await _json(await client.get(SETTINGS, headers=bob.auth), 200))["bots"] == []


async def test_r2_partial_updates_and_r3_reads_them(client: AppClient) -> None:
    alice = await register_and_login(client)
    await _bot(client, alice, "a1")
    body = await _json(await client.get(f"{SETTINGS}/a1", headers=alice.auth), 200)
    assert body["isNewBot"] is True and body["settings"]["riskLevel"] == 50
    assert body["defaults"]["riskLevel"] == 50 and isinstance(body["message"], str)

    full = {"riskLevel": 25, "autoRebalance": False, "dcaEnabled": False, "enabled": False}
    body = await _json(await client.put(f"{SETTINGS}/a1", json=full, headers=alice.auth), 200)
    assert body["success"] is True and isinstance(body["message"], str)
    assert {k: body["settings"][k] for k in full} == full
    assert isinstance(body["settings"]["createdAt"], str)

    # The dashboard's slider sends only riskLevel; the missing `enabled` switches it on.
    partial = {"riskLevel": 60}
    await _json(await client.put(f"{SETTINGS}/a1", json=partial, headers=alice.auth), 200)
    body = await _json(await client.get(f"{SETTINGS}/a1", headers=alice.auth), 200)
    assert body["isNewBot"] is False
    settings = body["settings"]
    assert settings["riskLevel"] == 60 and settings["enabled"] is True
    assert settings["autoRebalance"] is False and settings["dcaEnabled"] is False


async def test_r2_rejects_bad_values_and_stores_nothing(client: AppClient) -> None:
    alice = await register_and_login(client)
    await _bot(client, alice, "a1")
    url = f"{SETTINGS}/a1"
    for level in (101, -0.5):
        body = await _json(
            await client.put(url, json={"riskLevel": level}, headers=alice.auth), 400
        )
        assert body["success"] is False and body["code"] == "INVALID_RISK_LEVEL"
        assert body["message"] == body["error"] == "Risk level must be between 0 and 100"
    body = await _json(await client.put(url, json={"riskLevel": "high"}, headers=alice.auth), 422)
    assert body["field"] == "riskLevel" and body["code"] == "INVALID_TYPE"
    bad_flag = {"riskLevel": 10, "dcaEnabled": "yes"}
    body = await _json(await client.put(url, json=bad_flag, headers=alice.auth), 422)
    assert body["field"] == "dcaEnabled"
    body = await _json(await client.put(url, data=b"{nope", headers=alice.auth), 400)
    assert body["code"] == "INVALID_JSON"
    body = await _json(await client.put(url, json=[1, 2], headers=alice.auth), 400)
    assert body["code"] == "INVALID_BODY"
    assert (await _json(await client.get(url, headers=alice.auth), 200))["isNewBot"] is True


async def test_r4_r5_r6_feature_object(client: AppClient) -> None:
    alice = await register_and_login(client)
    await _bot(client, alice, "a1")
    url = f"{FEATURES}/a1"
    body = await _json(await client.get(url, headers=alice.auth), 200)
    assert body["success"] is True and body["instanceId"] == "a1"
    data = body["data"]
    assert data["takeProfitLevels"]["mode"] == "ladder"
    assert data["trailingStop"]["callbackRate"] == 1.5
    assert data["_meta"]["version"] == "2.0.0"
    assert body["summary"]["tradingSchedule"] is False and body["summary"]["trailingStop"] is True
    assert set(body["summary"]) == set(data) - {"_meta"}

    # The page deep-merges, edits and sends everything back, with keys of its own.
    data["trailingStop"]["enabled"] = False
    data["tradingSchedule"].update(enabled=True, activeDays=["MON", "FRI"])
    data["uiState"] = {"expanded": ["trailingStop"]}
    body = await _json(await client.put(url, json=data, headers=alice.auth), 200)
    assert body["data"]["trailingStop"]["enabled"] is False
    assert body["data"]["uiState"] == {"expanded": ["trailingStop"]}
    assert body["summary"]["trailingStop"] is False and body["summary"]["tradingSchedule"] is True
    assert body["instanceId"] == "a1" and isinstance(body["data"]["_meta"]["updatedAt"], str)
    again = await _json(await client.get(url, headers=alice.auth), 200)
    assert again["data"]["tradingSchedule"]["activeDays"] == ["MON", "FRI"]
    assert again["data"]["uiState"] == {"expanded": ["trailingStop"]}

    body = await _json(await client.post(f"{url}/reset", headers=alice.auth), 200)
    assert body["success"] is True and isinstance(body["message"], str)
    assert body["data"]["trailingStop"]["enabled"] is True and "uiState" not in body["data"]
    again = await _json(await client.get(url, headers=alice.auth), 200)
    assert again["data"]["tradingSchedule"]["enabled"] is False


async def test_r5_rejects_bad_objects_and_stores_nothing(client: AppClient) -> None:
    alice = await register_and_login(client)
    await _bot(client, alice, "a1")
    url = f"{FEATURES}/a1"
    cases = [
        ({"trailingStop": {"callbackRate": 80}}, "trailingStop.callbackRate", "INVALID_VALUE"),
        ({"takeProfitLevels": {"mode": "stairs"}}, "takeProfitLevels.mode", "INVALID_VALUE"),
        ({"tradingSchedule": {"activeHours": {"start": "25:00", "end": "10:00"}}},
         "tradingSchedule.activeHours.start", "INVALID_VALUE"),
        ({"orderExecution": {"postOnly": "yes"}}, "orderExecution.postOnly", "INVALID_TYPE"),
        ({"trailingStop": 5}, "trailingStop", "INVALID_TYPE"),
    ]  # fmt: skip
    for features, field, code in cases:
        body = await _json(await client.put(url, json=features, headers=alice.auth), 422)
        assert (body["field"], body["code"]) == (field, code)
        assert body["success"] is False and field in body["message"]
    huge = {"notes": "x" * (64 * 1024)}
    body = await _json(await client.put(url, data=json.dumps(huge), headers=alice.auth), 413)
    assert body["code"] == "BODY_TOO_LARGE"
    settings = await _json(await client.get(f"{SETTINGS}/a1", headers=alice.auth), 200)
    assert settings["isNewBot"] is True


async def test_r7_resume_and_r8_monitor(client: AppClient) -> None:
    alice = await register_and_login(client)
    body = await _json(
        await client.get("/api/freqtrade/trade-monitor/status", headers=alice.auth), 200
    )
    assert body == {"success": True, "data": {"running": False, "botCount": 0}}
    await _bot(client, alice, "a1", observed_state="running")
    await _bot(client, alice, "a2")
    body = await _json(
        await client.get("/api/freqtrade/trade-monitor/status", headers=alice.auth), 200
    )
    # The tests' gateway runs no trade-monitor loop (interval 0): nothing watches the bots.
    assert body == {"success": True, "data": {"running": False, "botCount": 2}}
    monitor = client.app[SERVICES].monitor
    monitor.interval = 60.0  # as the loop would: on, and one pass done just now
    assert await monitor.check_all() == []
    body = await _json(
        await client.get("/api/freqtrade/trade-monitor/status", headers=alice.auth), 200
    )
    assert body == {"success": True, "data": {"running": True, "botCount": 2}}

    off = {"enabled": False}
    await _json(await client.put(f"{SETTINGS}/a2", json=off, headers=alice.auth), 200)
    body = await _json(await client.post(f"{FEATURES}/a2/resume", headers=alice.auth), 200)
    assert body == {"success": True, "data": {"success": True}, "message": "Trading resumed"}
    settings = await _json(await client.get(f"{SETTINGS}/a2", headers=alice.auth), 200)
    assert settings["settings"]["enabled"] is True


async def test_per_bot_routes_check_ownership(client: AppClient) -> None:
    alice = await register_and_login(client)
    bob = await register_and_login(client, "bob@example.com")
    await _bot(client, alice, "a1")
    calls = [
        ("GET", f"{SETTINGS}/{{}}", None),
        ("PUT", f"{SETTINGS}/{{}}", {"riskLevel": 10}),
        ("GET", f"{FEATURES}/{{}}", None),
        ("PUT", f"{FEATURES}/{{}}", {}),
        ("POST", f"{FEATURES}/{{}}/reset", None),
        ("POST", f"{FEATURES}/{{}}/resume", None),
    ]
    for method, template, payload in calls:
        response = await client.request(
            method, template.format("a1"), json=payload, headers=bob.auth
        )
        body = await _json(response, 404)  # as a missing bot: ids cannot be probed for
        assert body["code"] == "BOT_NOT_FOUND" and body["success"] is False
        response = await client.request(
            method, template.format("nobody"), json=payload, headers=alice.auth
        )
        assert (await _json(response, 404))["code"] == "BOT_NOT_FOUND"
        assert (await client.request(method, template.format("a1"), json=payload)).status == 401
    assert (await _json(await client.get(f"{SETTINGS}/a1", headers=alice.auth), 200))["isNewBot"]
    assert (await client.get(SETTINGS)).status == 401
    assert (await client.get("/api/freqtrade/trade-monitor/status")).status == 401
