"""BotStore: ownership checks, the proxy's recent reads against this process's writes, and
what a pool's report leaves in the row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.db.database import Database
from gateway.errors import NotFound
from gateway.services.common import utcnow
from gateway.services.trading.botstore import BotEndpoint, BotStore
from migrations.schema import bots
from tests.gateway.conftest import migrate
from tests.gateway.factories import create_bot_row, create_user_row


async def test_owned_recent_follows_this_processs_writes(db_url: str) -> None:
    await migrate(db_url)
    db = Database(db_url)
    try:
        store = BotStore(db, utcnow, recent_ttl=60.0)
        alice, bob = await create_user_row(db, "alice"), await create_user_row(db, "bob")
        await create_bot_row(store, "b1", alice, None)
        assert (await store.owned(alice, "b1", recent=True)).desired_state == "running"
        with pytest.raises(NotFound):
            await store.owned(bob, "b1", recent=True)

        await store.update("b1", desired_state="stopped")
        assert (await store.owned(alice, "b1", recent=True)).desired_state == "stopped"
        await store.delete("b1")
        with pytest.raises(NotFound):
            await store.owned(alice, "b1", recent=True)
    finally:
        await db.close()


async def test_a_pool_report_leaves_no_api_password_in_the_row(db_url: str) -> None:
    await migrate(db_url)
    db = Database(db_url)
    try:
        store = BotStore(db, utcnow)
        alice = await create_user_row(db, "alice")
        await create_bot_row(store, "b1", alice, None)
        secret = "sent-by-an-older-pool"  # noqa: S105 - pools once sent the bot's password
        report = {
            "bot_id": "b1",
            "state": "running",
            "api_port": 18100,
            "api": {"url": "http://127.0.0.1:18100", "username": "bot-b1", "password": secret},
        }
        seen = await store.record_seen("b1", report, desired_state="stopped")
        assert seen is not None and seen.desired_state == "stopped"
        assert seen.endpoint == BotEndpoint("b1", "http://127.0.0.1:18100", "bot-b1")
        async with db.engine.connect() as conn:
            row = (await conn.execute(select(bots).where(bots.c.id == "b1"))).one()
        assert row._mapping.get("api_password") is None
        assert secret not in [str(value) for value in row._mapping.values()]
        assert await store.update("nobody", desired_state="stopped") is None
    finally:
        await db.close()


async def test_a_pool_report_sets_the_restarts_and_one_without_them_keeps_them(
    db_url: str,
) -> None:
    await migrate(db_url)
    db = Database(db_url)
    try:
        store = BotStore(db, utcnow)
        alice = await create_user_row(db, "alice")
        created = await create_bot_row(store, "b1", alice, None)
        assert created.restarts == 0

        seen = await store.record_seen("b1", {"bot_id": "b1", "state": "running", "restarts": 3})
        assert seen is not None and seen.restarts == 3
        # A reply without the count (an older pool's) leaves the stored one alone ...
        seen = await store.record_seen("b1", {"bot_id": "b1", "state": "stopped"})
        assert seen is not None and (seen.restarts, seen.observed_state) == (3, "stopped")
        found = await store.find("b1")
        assert found is not None and found.restarts == 3
        # ... and a pool that started afresh counts from 0 again.
        seen = await store.record_seen("b1", {"bot_id": "b1", "state": "running", "restarts": 0})
        assert seen is not None and seen.restarts == 0
    finally:
        await db.close()
