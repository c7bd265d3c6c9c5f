"""O1-O3 and pool announcements over HTTP: field names and types, and tenant isolation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from gateway.keys import DB, SERVICES
from gateway.services.trading.botstore import DesiredState
from migrations.schema import pools
from tests.fixtures.pools import POOL_TOKEN
from tests.gateway.conftest import AppClient, ClientFactory, register_and_login
from tests.gateway.factories import create_bot_row
from tests.helpers import free_port

POOL_AUTH = {"Authorization": f"Bearer {POOL_TOKEN}"}


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


async def pool_client(make_client: ClientFactory, *pool_ids: str) -> AppClient:
    entries = tuple(f"{pool_id}={dead_url()}" for pool_id in pool_ids)
    return await make_client(pools=entries, pool_token=POOL_TOKEN)


async def set_pool(client: AppClient, pool_id: str, **values: Any) -> None:
    async with client.app[DB].engine.begin() as conn:
        await conn.execute(update(pools).where(pools.c.id == pool_id).values(**values))


async def add_bot(
    client: AppClient,
    bot_id: str,
    user_id: str,
    pool_id: str | None,
    desired: DesiredState = "running",
) -> None:
    await create_bot_row(
        client.app[SERVICES].bot_store,
        bot_id,
        user_id,
        pool_id,
        desired,
        api_port=18105 if pool_id else None,
    )


async def test_my_pools_without_any_pool(make_client: ClientFactory) -> None:
    client = await make_client()
    alice = await register_and_login(client)
    response = await client.get("/api/freqtrade/pool/my-pools", headers=alice.auth)
    assert response.status == 200
    assert await response.json() == {
        "success": True,
        "userId": alice.user_id,
        "poolMode": True,
        "totalPools": 0,
        "totalBots": 0,
        "maxBotsPerPool": 0,
        "pools": [],
        "bots": [],
    }
    assert (await client.get("/api/freqtrade/pool/my-pools")).status == 401


async def test_my_pools_lists_only_the_callers_bots(make_client: ClientFactory) -> None:
    client = await pool_client(make_client, "p1", "p2", "p3")
    alice = await register_and_login(client, "alice@example.com")
    bob = await register_and_login(client, "bob@example.com")
    await set_pool(client, "p1", status="healthy", capacity=4, memory_mb=512.5, cpu_percent=3.25)
    await set_pool(client, "p2", status="unreachable", capacity=2)
    await set_pool(client, "p3", status="healthy", capacity=10)
    await add_bot(client, "alice-bot-1", alice.user_id, "p1")
    await add_bot(client, "alice-bot-2", alice.user_id, "p2", "stopped")
    await add_bot(client, "bob-bot-1", bob.user_id, "p1")

    body = await (await client.get("/api/freqtrade/pool/my-pools", headers=alice.auth)).json()
    assert (body["totalPools"], body["totalBots"], body["maxBotsPerPool"]) == (3, 2, 10)
    by_id = {p["id"]: p for p in body["pools"]}
    assert by_id["p1"] == {
        "id": "p1",
        "containerName": "cryptopilot-pool-p1",
        "status": "healthy",
        "botsCount": 2,
        "capacity": 4,
        "utilizationPercent": 50.0,
        "bots": ["alice-bot-1"],
        "metrics": {"memoryUsageMB": 512.5, "cpuPercent": 3.25, "lastUpdated": None},
    }
    assert (by_id["p2"]["status"], by_id["p2"]["bots"]) == ("unreachable", ["alice-bot-2"])
    assert (by_id["p3"]["bots"], by_id["p3"]["utilizationPercent"]) == ([], 0.0)
    assert body["bots"] == [
        {"instanceId": "alice-bot-1", "poolId": "p1", "slotIndex": 0, "port": 18105,
         "status": "unknown"},
        {"instanceId": "alice-bot-2", "poolId": "p2", "slotIndex": 0, "port": 18105,
         "status": "unknown"},
    ]  # fmt: skip

    response = await client.get("/api/freqtrade/pool/my-pools", headers=bob.auth)
    text = await response.text()
    assert "alice-bot" not in text
    body = await response.json()
    assert [(p["id"], p["bots"]) for p in body["pools"]] == [("p1", ["bob-bot-1"]), ("p3", [])]


async def test_health_check_reports_and_records_an_outage(make_client: ClientFactory) -> None:
    client = await pool_client(make_client, "p1")
    alice = await register_and_login(client, "alice@example.com")
    bob = await register_and_login(client, "bob@example.com")
    await add_bot(client, "alice-bot-1", alice.user_id, "p1")

    response = await client.post("/api/freqtrade/pool/my-health-check", headers=alice.auth)
    assert response.status == 200
    body = await response.json()
    assert body["success"] is True and isinstance(body["durationMs"], int)
    assert body["timestamp"].endswith("Z")
    assert body["pools"] == [
        {"id": "p1", "status": "unreachable", "message": body["pools"][0]["message"],
         "details": {"supervisor": "unreachable"}},
    ]  # fmt: skip
    assert [(i["type"], i["id"], i.get("poolId")) for i in body["issues"]] == [
        ("pool", "p1", None),
        ("bot", "alice-bot-1", "p1"),
    ]
    assert all(isinstance(i["message"], str) and i["message"] for i in body["issues"])
    assert [(b["id"], b["poolId"], b["status"]) for b in body["bots"]] == [
        ("alice-bot-1", "p1", "unreachable")
    ]
    assert [(a["action"], a["botId"], a["poolId"]) for a in body["recoveryActions"]] == [
        ("marked_unreachable", "alice-bot-1", "p1")
    ]

    response = await client.post("/api/freqtrade/pool/my-health-check", headers=bob.auth)
    body = await response.json()
    assert (body["issues"], body["pools"], body["bots"], body["recoveryActions"]) == (
        [],
        [],
        [],
        [],
    )


async def test_cleanup_removes_the_callers_lost_bots_only(make_client: ClientFactory) -> None:
    client = await pool_client(make_client, "p1")
    alice = await register_and_login(client, "alice@example.com")
    bob = await register_and_login(client, "bob@example.com")
    await add_bot(client, "alice-lost", alice.user_id, None)
    await add_bot(client, "alice-ok", alice.user_id, "p1")
    await add_bot(client, "bob-lost", bob.user_id, None)

    response = await client.post("/api/freqtrade/pool/my-cleanup", headers=alice.auth)
    assert response.status == 200
    body = await response.json()
    assert {k: v for k, v in body.items() if k != "errors"} == {
        "success": True,
        "userId": alice.user_id,
        "removedBots": 1,
        "checkedBots": 2,
        "removedFromState": ["alice-lost"],
        "removedFromFilesystem": [],
        "message": "Cleaned up 1 orphaned bot(s)",
    }
    assert len(body["errors"]) == 1 and body["errors"][0].startswith("pool p1:")
    store = client.app[SERVICES].bot_store
    assert await store.find("alice-lost") is None
    assert await store.find("bob-lost") is not None


async def test_announcements_need_the_pool_token(make_client: ClientFactory) -> None:
    client = await pool_client(make_client)
    body = {"poolId": "edge-1", "controlUrl": dead_url(), "hostLabel": "box", "capacity": 6}
    path = "/api/pools/announce"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": POOL_TOKEN + "x"}):
        response = await client.post(path, json=body, headers=headers)
        assert response.status == 401
        error = await response.json()
        assert (error["success"], error["code"]) == (False, "INVALID_POOL_TOKEN")

    response = await client.post(path, json=body, headers=POOL_AUTH)
    assert response.status == 200
    assert await response.json() == {
        "success": True,
        "pool": {
            "id": "edge-1",
            "controlUrl": body["controlUrl"],
            "hostLabel": "box",
            "source": "announced",
            "status": "unreachable",  # checked at once; nothing listens there
            "capacity": 6,
        },
    }
    response = await client.post(path, json={**body, "controlUrl": "ftp://x"}, headers=POOL_AUTH)
    assert response.status == 422
    assert (await response.json())["field"] == "controlUrl"


async def test_announcements_are_refused_without_a_pool_token(make_client: ClientFactory) -> None:
    client = await make_client()
    response = await client.post(
        "/api/pools/announce",
        json={"poolId": "edge-1", "controlUrl": dead_url()},
        headers={"Authorization": "Bearer "},
    )
    assert response.status == 401
