"""The login throttle holds across gateway replicas: it counts failures in the shared audit log."""

from __future__ import annotations

from gateway.keys import SERVICES
from gateway.services.accounts.audit import AuditEvent
from tests.gateway.conftest import PASSWORD, ReplicaFactory, register_and_login

THROTTLE = {"login_max_failures_per_ip": 100, "rate_limit_auth": "1000/60"}


async def test_failures_on_one_replica_throttle_the_account_on_another(
    make_replicas: ReplicaFactory,
) -> None:
    a, b = await make_replicas(login_max_failures_per_account=3, **THROTTLE)
    alice = await register_and_login(a)
    wrong = {"email": alice.email, "password": "wrong-guess"}
    statuses = [(await a.post("/api/auth/login", json=wrong)).status for _ in range(3)]
    assert statuses == [400, 400, 400]
    # B never saw those attempts, yet even the right password waits out the lock there.
    response = await b.post("/api/auth/login", json={"email": alice.email, "password": PASSWORD})
    assert response.status == 429
    body = await response.json()
    assert body == {"success": False, "message": body["message"], "code": "LOGIN_THROTTLED"}
    assert 0 < int(response.headers["Retry-After"]) <= 900
    # Both replicas wrote into one log: A's failures, B's refusal.
    events = [e.event for e in await b.app[SERVICES].audit.entries()]
    assert events.count(AuditEvent.LOGIN_FAILED.value) == 3
    assert events.count(AuditEvent.LOGIN_THROTTLED.value) == 1


async def test_failures_spread_over_replicas_add_up_per_ip(make_replicas: ReplicaFactory) -> None:
    a, b = await make_replicas(
        login_max_failures_per_ip=4, login_max_failures_per_account=100, rate_limit_auth="1000/60"
    )
    for n, replica in enumerate((a, b, a, b)):
        response = await replica.post(
            "/api/auth/login", json={"email": f"guess{n}@example.com", "password": "x"}
        )
        assert response.status == 404
    for replica in (a, b):
        response = await replica.post(
            "/api/auth/login", json={"email": "another@example.com", "password": "x"}
        )
        assert response.status == 429
        assert (await response.json())["code"] == "LOGIN_THROTTLED"


async def test_a_success_on_one_replica_restarts_the_count_on_another(
    make_replicas: ReplicaFactory,
) -> None:
    a, b = await make_replicas(login_max_failures_per_account=2, **THROTTLE)
    alice = await register_and_login(a)
    wrong = {"email": alice.email, "password": "wrong-guess"}
    right = {"email": alice.email, "password": PASSWORD}
    assert (await a.post("/api/auth/login", json=wrong)).status == 400
    assert (await b.post("/api/auth/login", json=right)).status == 200
    # Without B's success A would count two failures now and lock the account.
    assert (await a.post("/api/auth/login", json=wrong)).status == 400
    assert (await a.post("/api/auth/login", json=right)).status == 200
