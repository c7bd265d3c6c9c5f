"""Recent reads across replicas: another replica's write is seen once `recent_read_ttl` passed.

The write is a role change made through replica A's services (roles have no HTTP route; the
CLI's `user` commands write the same way, from yet another process). Replica B decides admin
access from the user row behind the token, which it may reuse for `recent_read_ttl` seconds.
"""

from __future__ import annotations

import asyncio
import time

from gateway.keys import SERVICES
from tests.gateway.conftest import AppClient, ReplicaFactory, register_and_login

ADMIN_ROUTE = "/api/admin/users"


async def _status(replica: AppClient, headers: dict[str, str]) -> int:
    return (await replica.get(ADMIN_ROUTE, headers=headers)).status


async def test_a_demotion_on_one_replica_holds_on_another_once_the_ttl_passed(
    make_replicas: ReplicaFactory,
) -> None:
    ttl = 0.5
    a, b = await make_replicas(recent_read_ttl=ttl)
    alice = await register_and_login(a)
    await a.app[SERVICES].users.set_role(alice.user_id, "admin")
    read_at = time.monotonic()  # B reads (and keeps) the admin row no earlier than this
    assert await _status(b, alice.auth) == 200

    await a.app[SERVICES].users.set_role(alice.user_id, "user")
    written_at = time.monotonic()
    assert await _status(a, alice.auth) == 403, "the writing replica sees its write at once"
    status = await _status(b, alice.auth)
    if time.monotonic() < read_at + ttl:
        # Answered before the kept row could expire: B still served it (the documented bound).
        assert status == 200
    # Past the TTL no replica serves the old row. The wait is the bound under test, not a poll.
    await asyncio.sleep(max(0.0, written_at + ttl - time.monotonic()))
    assert await _status(b, alice.auth) == 403
    # And a promotion shows the same way.
    await a.app[SERVICES].users.set_role(alice.user_id, "admin")
    written_at = time.monotonic()
    await asyncio.sleep(max(0.0, written_at + ttl - time.monotonic()))
    assert await _status(b, alice.auth) == 200


async def test_without_a_ttl_another_replicas_write_shows_at_once(
    make_replicas: ReplicaFactory,
) -> None:
    a, b = await make_replicas(recent_read_ttl=0)
    alice = await register_and_login(a)
    assert await _status(b, alice.auth) == 403
    await a.app[SERVICES].users.set_role(alice.user_id, "admin")
    assert await _status(b, alice.auth) == 200
    await a.app[SERVICES].users.set_role(alice.user_id, "user")
    assert await _status(b, alice.auth) == 403


async def test_a_profile_change_over_http_reaches_the_other_replicas_token_check(
    make_replicas: ReplicaFactory,
) -> None:
    ttl = 0.5
    a, b = await make_replicas(recent_read_ttl=ttl)
    alice = await register_and_login(a)

    async def name_on_b() -> str:
        response = await b.get("/api/auth/verify-token", headers=alice.auth)
        assert response.status == 200
        return str((await response.json())["user"]["name"])

    assert await name_on_b() == "alice"
    profile = {"displayName": "Alice A.", "timezone": "UTC", "preferredCurrency": "USD"}
    response = await a.put("/api/account/profile", json=profile, headers=alice.auth)
    assert response.status == 200, await response.text()
    written_at = time.monotonic()
    await asyncio.sleep(max(0.0, written_at + ttl - time.monotonic()))
    assert await name_on_b() == "Alice A."
