"""UserStore.upsert_google under racing calls (the UI calls google-verify twice at once)."""

from __future__ import annotations

import asyncio
import uuid

from gateway.db.database import Database
from gateway.services.common import utcnow
from gateway.services.users import GoogleProfile, UserStore
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
