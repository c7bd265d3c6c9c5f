"""BotStore: ownership checks, and the proxy's recent reads against this process's writes."""

from __future__ import annotations

import pytest

from gateway.db.database import Database
from gateway.errors import Forbidden, NotFound
from gateway.services.botstore import BotStore
from gateway.services.common import utcnow
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
        with pytest.raises(Forbidden):
            await store.owned(bob, "b1", recent=True)

        await store.update("b1", desired_state="stopped")
        assert (await store.owned(alice, "b1", recent=True)).desired_state == "stopped"
        await store.delete("b1")
        with pytest.raises(NotFound):
            await store.owned(alice, "b1", recent=True)
    finally:
        await db.close()
