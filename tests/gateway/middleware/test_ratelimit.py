"""Rate limits by route group and the login throttle."""

from __future__ import annotations

from gateway.keys import SERVICES
from gateway.ratelimit import FixedWindowLimiter, Quota
from gateway.services.accounts.audit import AuditEvent
from tests.gateway.conftest import PASSWORD, AppClient, register_and_login


async def test_fixed_window_counts_and_resets() -> None:
    now = [100.0]
    limiter = FixedWindowLimiter(clock=lambda: now[0])
    quota = Quota(limit=2, window=10)
    first, second, third = [await limiter.hit("k", quota) for _ in range(3)]
    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert (third.allowed, third.remaining, third.reset) == (False, 0, 10)
    assert (await limiter.hit("other", quota)).allowed
    now[0] = 110.0
    assert (await limiter.hit("k", quota)).allowed


async def test_account_group_limits_per_user_with_headers(make_client) -> None:
    client = await make_client(rate_limit_account="3/60", rate_limit_auth="100/60")
    alice = await register_and_login(client)
    bob = await register_and_login(client, "bob@example.com")
    statuses = []
    for _ in range(4):
        response = await client.get("/api/account/profile", headers=alice.auth)
        statuses.append(response.status)
    assert statuses == [200, 200, 200, 429]
    body = await response.json()
    assert body == {"success": False, "message": body["message"], "code": "RATE_LIMITED"}
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["RateLimit-Limit"] == "3"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert int(response.headers["RateLimit-Reset"]) > 0
    # Limits are per user: bob is unaffected, and successes carry the headers too.
    response = await client.get("/api/account/profile", headers=bob.auth)
    assert response.status == 200 and response.headers["RateLimit-Remaining"] == "2"
    # verify-token and preflights are never limited.
    for _ in range(5):
        verify = await client.get("/api/auth/verify-token", headers=alice.auth)
        assert verify.status == 200 and "RateLimit-Limit" not in verify.headers
    preflight = await client.options(
        "/api/account/profile",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 204


async def test_anonymous_limits_are_per_ip(make_client) -> None:
    client = await make_client(rate_limit_default="2/60")
    statuses = [(await client.get("/api/users/debug-no-auth")).status for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_login_throttle_per_account(make_client) -> None:
    client = await make_client(login_max_failures_per_account=3, rate_limit_auth="100/60")
    account = await register_and_login(client)
    wrong = {"email": account.email, "password": "wrong-guess"}
    statuses = [(await client.post("/api/auth/login", json=wrong)).status for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    response = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    body = await response.json()
    assert response.status == 429, "even the right password waits out the lock"
    assert body["code"] == "LOGIN_THROTTLED"
    assert 0 < int(response.headers["Retry-After"]) <= 900
    events = [e.event for e in await client.app[SERVICES].audit.entries()]
    assert events.count(AuditEvent.LOGIN_FAILED.value) == 3
    assert AuditEvent.LOGIN_THROTTLED.value in events
    # Another account from the same IP is not locked by this account's failures.
    other = await register_and_login(client, "bob@example.com")
    assert other.token


async def test_login_throttle_per_ip(make_client) -> None:
    client = await make_client(
        login_max_failures_per_ip=3, login_max_failures_per_account=100, rate_limit_auth="100/60"
    )
    for n in range(3):
        response = await client.post(
            "/api/auth/login", json={"email": f"guess{n}@example.com", "password": "x"}
        )
        assert response.status == 404
    response = await client.post(
        "/api/auth/login", json={"email": "another@example.com", "password": "x"}
    )
    assert response.status == 429
    assert (await response.json())["code"] == "LOGIN_THROTTLED"


async def test_successful_login_resets_the_account_count(make_client) -> None:
    client = await make_client(login_max_failures_per_account=2, rate_limit_auth="100/60")
    account = await register_and_login(client)
    wrong = {"email": account.email, "password": "wrong-guess"}
    right = {"email": account.email, "password": PASSWORD}
    assert (await client.post("/api/auth/login", json=wrong)).status == 400
    assert (await client.post("/api/auth/login", json=right)).status == 200
    assert (await client.post("/api/auth/login", json=wrong)).status == 400
    assert (await client.post("/api/auth/login", json=right)).status == 200


async def test_auth_group_limit_on_login(make_client) -> None:
    client: AppClient = await make_client(rate_limit_auth="2/60")
    body = {"email": "x@example.com", "password": "x"}
    statuses = [(await client.post("/api/auth/login", json=body)).status for _ in range(3)]
    assert statuses == [404, 404, 429]
