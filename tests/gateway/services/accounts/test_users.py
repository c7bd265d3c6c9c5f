"""UserStore.upsert_google under racing calls (the UI calls google-verify twice at once)."""

from __future__ import annotations

import asyncio
import uuid

from gateway.db.database import Database
from gateway.services.accounts.users import GoogleProfile, UserStore
from gateway.services.common import utcnow
from tests.gateway.conftest import migrate


async def test_racing_google_upserts_give_one_user(db_url: str) -> None:
    await migrate(db_url)
    db = Database(db_url)
    try:
        store = UserStore(db, utcnow)
        for _round in range(15):
            uid = uuid.uuid4().hex
            profile = GoogleProfile(uid, f"{uid[:10]}@example.com", "Grace", None, True)
            made = await asyncio.gather(*(store.upsert_google(profile) for _ in range(6)))
            assert len({user.id for user in made}) == 1
            assert made[0].firebase_uid == uid and made[0].auth_provider == "google"
    finally:
        await db.close()


async def test_recent_reads_see_this_processs_writes_at_once(db_url: str) -> None:
    await migrate(db_url)
    db = Database(db_url)
    try:
        store = UserStore(db, utcnow, recent_ttl=60.0)
        other = UserStore(db, utcnow)  # another process (the CLI, a second gateway)
        user = await store.create(email="r@example.com", username="r", password_hash=None)
        assert (await store.get_recent(user.id)) == user
        await store.set_role(user.id, "admin")
        assert (await store.get_recent(user.id)).role == "admin"  # type: ignore[union-attr]
        await other.set_role(user.id, "user")
        # Within the TTL another writer's change is not seen; a plain read sees it.
        assert (await store.get_recent(user.id)).role == "admin"  # type: ignore[union-attr]
        assert (await store.get(user.id)).role == "user"  # type: ignore[union-attr]
    finally:
        await db.close()
