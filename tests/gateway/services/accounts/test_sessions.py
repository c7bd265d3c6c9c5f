"""SessionStore.rotate under concurrent refreshes of many sessions (bench/load.py found 503s)."""

from __future__ import annotations

import asyncio

from gateway.db.database import Database
from gateway.services.accounts.sessions import SessionStore
from gateway.services.accounts.users import UserStore
from gateway.services.common import utcnow
from tests.gateway.conftest import migrate


async def test_concurrent_refreshes_of_different_sessions_all_succeed(db_url: str) -> None:
    await migrate(db_url)
    db = Database(db_url)
    try:
        users = UserStore(db, utcnow)
        sessions = SessionStore(db, ttl_seconds=3600, reuse_grace_seconds=10)
        tokens = []
        for index in range(12):
            user = await users.create(
                email=f"s{index}@example.com", username=f"s{index}", password_hash=None
            )
            tokens.append((user.id, (await sessions.create(user.id, user_agent="t", ip="::1"))[1]))
        for _round in range(3):
            # Every rotate reads its token, then writes; each commits while others are between
            # their read and their write.
            refreshed = await asyncio.gather(*(sessions.rotate(t, ip="::1") for _, t in tokens))
            assert [r.user_id for r in refreshed] == [user_id for user_id, _ in tokens]
            assert all(r.new_token for r in refreshed)
            tokens = [(r.user_id, str(r.new_token)) for r in refreshed]
    finally:
        await db.close()
