"""Background loops: a failed pass is logged and the loop goes on; the stop signal ends it; a
lone gateway leads the leader-only loops (the lease itself: services/test_leader.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.background import every
from gateway.keys import DB, SETTINGS
from gateway.usercli import create_user
from migrations.schema import leases
from tests.gateway.conftest import PASSWORD, AppClient, ClientFactory
from tests.gateway.scrape import scrape
from tests.helpers import async_wait_until


async def test_a_loop_survives_a_failed_pass_and_stops_on_the_signal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    passes: list[int] = []
    stop = asyncio.Event()

    async def step() -> None:
        passes.append(len(passes))
        if len(passes) == 2:
            raise RuntimeError("database down")
        if len(passes) == 4:
            stop.set()

    with caplog.at_level(logging.ERROR, logger="gateway.background"):
        await asyncio.wait_for(every("demo", 0.01, step, stop), timeout=5)
    assert passes == [0, 1, 2, 3]  # the failure did not end the loop; the signal did
    assert [r.getMessage() for r in caplog.records] == ["demo pass failed"]


async def test_stop_cuts_the_wait_short() -> None:
    stop = asyncio.Event()

    async def step() -> None:
        stop.set()

    # An hour-long interval: the loop still ends as soon as the signal is set.
    await asyncio.wait_for(every("slow", 3600, step, stop), timeout=1)


async def _admin(client: AppClient) -> dict[str, str]:
    await create_user(client.app[SETTINGS], "root@example.com", PASSWORD, "root", admin=True)
    response = await client.post(
        "/api/auth/login", json={"email": "root@example.com", "password": PASSWORD}
    )
    assert response.status == 200
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def test_a_lone_gateway_leads_and_shows_it(make_client: ClientFactory) -> None:
    # An hour-long reconcile interval: the loop is on, its first pass runs on gaining the lease.
    client = await make_client(reconcile_interval=3600, replica_id="solo")
    root = await _admin(client)

    async def leader() -> dict[str, Any] | None:
        response = await client.get("/api/admin/pools", headers=root)
        assert response.status == 200
        found: dict[str, Any] | None = (await response.json())["reconciler"]["leader"]
        return found

    shown = await async_wait_until(leader, timeout=10, what="the leader in the overview")
    assert shown["replica"] == "solo" and shown["term"] >= 1
    assert datetime.fromisoformat(shown["since"].replace("Z", "+00:00")).tzinfo is not None
    found = await scrape(client)
    assert found.labelled("cryptopilot_gateway_leader") == {frozenset({("replica", "solo")}): 1}


async def test_no_lease_while_every_leader_loop_is_off(make_client: ClientFactory) -> None:
    client = await make_client(replica_id="idle", pool_health_interval=0.05)  # conftest: off
    root = await _admin(client)
    response = await client.get("/api/admin/pools", headers=root)
    assert (await response.json())["reconciler"]["leader"] is None
    async with client.app[DB].engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(leases))).scalar_one() == 0
    assert (await scrape(client)).labelled("cryptopilot_gateway_leader") == {}
