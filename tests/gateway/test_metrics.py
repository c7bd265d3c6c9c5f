"""The gateway's /metrics: every metric of docs/metrics.md appears after the event driving it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from aiohttp import WSMsgType

from gateway.auth.tokens import TokenIssuer
from gateway.keys import DB, SERVICES
from gateway.services.common import utcnow
from gateway.services.recorder import PAUSE_REASONS, RECONCILER_ACTIONS
from gateway.services.trading.botstore import BotStore
from runtime.sync.reader import Batch, Cursor
from runtime.sync.writer import write_batch
from tests.gateway.conftest import AppClient, ClientFactory, register_and_login
from tests.gateway.factories import create_bot_row
from tests.gateway.scrape import scrape
from tests.helpers import async_wait_until, free_port

SECRET = "test-secret-" + "x" * 32  # conftest's make_settings
GATEWAY_METRICS = {
    "cryptopilot_http_requests": "counter",
    "cryptopilot_http_request_duration_seconds": "histogram",
    "cryptopilot_sse_clients": "gauge",
    "cryptopilot_websocket_clients": "gauge",
    "cryptopilot_auth_failures": "counter",
    "cryptopilot_rate_limit_rejections": "counter",
    "cryptopilot_ratelimit_backend_errors": "counter",
    "cryptopilot_wallet_funds": "gauge",
    "cryptopilot_gateway_pool_up": "gauge",
    "cryptopilot_gateway_pool_last_seen_seconds": "gauge",
    "cryptopilot_reconciler_actions": "counter",
    "cryptopilot_trade_monitor_pauses": "counter",
    "cryptopilot_trade_monitor_emergency_stops": "counter",
    "cryptopilot_sync_lag_seconds": "gauge",
    "cryptopilot_analytics_events_dropped": "counter",
}


async def test_every_gateway_metric_is_described_with_its_type(client: AppClient) -> None:
    found = await scrape(client)
    assert {name: found.families.get(name) for name in GATEWAY_METRICS} == GATEWAY_METRICS
    # Fixed label sets start at zero, so the first event is a visible increase.
    for reason in ("missing", "invalid", "expired", "forbidden"):
        assert found.value("cryptopilot_auth_failures_total", reason=reason) == 0
    for action in RECONCILER_ACTIONS:
        assert found.value("cryptopilot_reconciler_actions_total", action=action) == 0
    for reason in PAUSE_REASONS:
        assert found.value("cryptopilot_trade_monitor_pauses_total", reason=reason) == 0
    assert found.value("cryptopilot_trade_monitor_emergency_stops_total") == 0
    assert found.value("cryptopilot_ratelimit_backend_errors_total") == 0
    assert found.value("cryptopilot_sse_clients") == 0
    assert found.value("cryptopilot_websocket_clients", route="/ws/strategies") == 0
    # An empty database: no money, no pools, no sync.
    assert found.value("cryptopilot_wallet_funds", kind="free") == 0
    assert found.value("cryptopilot_wallet_funds", kind="allocated") == 0
    assert found.labelled("cryptopilot_gateway_pool_up") == {}
    assert found.labelled("cryptopilot_sync_lag_seconds") == {}


async def test_auth_failures_by_reason(client: AppClient) -> None:
    alice = await register_and_login(client)
    assert (await client.get("/api/account/wallet")).status == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await client.get("/api/account/wallet", headers=bad)).status == 401
    stale = TokenIssuer(SECRET, 900, lambda: utcnow() - timedelta(hours=2)).issue(
        alice.user_id, "user"
    )
    expired = {"Authorization": f"Bearer {stale}"}
    response = await client.get("/api/account/wallet", headers=expired)
    assert (await response.json())["code"] == "TOKEN_EXPIRED"
    assert (await client.get("/api/admin/users", headers=alice.auth)).status == 403
    assert (await client.get("/api/admin/users", headers=alice.auth)).status == 403

    found = await scrape(client)
    assert found.value("cryptopilot_auth_failures_total", reason="missing") == 1
    assert found.value("cryptopilot_auth_failures_total", reason="invalid") == 1
    assert found.value("cryptopilot_auth_failures_total", reason="expired") == 1
    assert found.value("cryptopilot_auth_failures_total", reason="forbidden") == 2
    # The route template, never the user's id or path values, labels the requests.
    assert found.value(
        "cryptopilot_http_requests_total", method="GET", route="/api/admin/users", status="403"
    ) == 2  # fmt: skip


async def test_rate_limit_rejections_by_limit(make_client: ClientFactory) -> None:
    client = await make_client(rate_limit_default="2/60")
    statuses = [(await client.get("/api/users/debug-no-auth")).status for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    found = await scrape(client)
    assert found.value("cryptopilot_rate_limit_rejections_total", limit="default") == 2
    assert found.value("cryptopilot_rate_limit_rejections_total", limit="auth") == 0


async def test_login_throttle_counts_as_its_own_limit(make_client: ClientFactory) -> None:
    client = await make_client(login_max_failures_per_account=2)
    await register_and_login(client)
    wrong = {"email": "alice@example.com", "password": "wrong-password"}
    statuses = [(await client.post("/api/auth/login", json=wrong)).status for _ in range(3)]
    assert statuses[-1] == 429
    found = await scrape(client)
    assert found.value("cryptopilot_rate_limit_rejections_total", limit="login_account") == 1


async def test_sse_clients_while_a_stream_is_open(client: AppClient) -> None:
    alice = await register_and_login(client)
    response = await client.get(f"/api/stream?token={alice.token}")
    assert response.status == 200
    assert (await response.content.readuntil(b"\n\n")).startswith(b"event: connected")

    async def clients() -> float | None:
        return (await scrape(client)).value("cryptopilot_sse_clients")

    await async_wait_until(lambda: _equals(clients, 1), timeout=10, what="one SSE client")
    response.close()
    await async_wait_until(lambda: _equals(clients, 0), timeout=10, what="no SSE client")


async def test_websocket_clients_by_route(client: AppClient) -> None:
    alice = await register_and_login(client)

    async def clients() -> float | None:
        found = await scrape(client)
        return found.value("cryptopilot_websocket_clients", route="/ws/strategies")

    socket = await client.ws_connect(f"/ws/strategies?token={alice.token}")
    first = await socket.receive(timeout=10)
    assert first.type == WSMsgType.TEXT and first.json()["type"] == "strategies:list"
    await async_wait_until(lambda: _equals(clients, 1), timeout=10, what="one socket")
    await socket.close()
    await async_wait_until(lambda: _equals(clients, 0), timeout=10, what="no socket")


async def _equals(read: Callable[[], Awaitable[float | None]], expected: float) -> bool:
    return await read() == expected


async def test_wallet_funds_are_the_sums_over_all_users(client: AppClient) -> None:
    alice = await register_and_login(client)
    bob = await register_and_login(client, "bob@example.com")
    deposit = {"amount": 250}
    response = await client.post("/api/account/wallet/deposit", json=deposit, headers=alice.auth)
    assert response.status == 200, await response.text()
    alice_balance = (await response.json())["data"]["balance"]
    bob_balance = (await (await client.get("/api/account/wallet", headers=bob.auth)).json())[
        "data"
    ]["balance"]
    found = await scrape(client)
    assert found.value("cryptopilot_wallet_funds", kind="free") == alice_balance + bob_balance
    assert found.value("cryptopilot_wallet_funds", kind="allocated") == 0

    await client.app[SERVICES].wallet.allocate(bob.user_id, "bob-bot", "Bob's bot", 12_345)
    found = await scrape(client)
    assert found.value("cryptopilot_wallet_funds", kind="allocated") == 123.45
    assert found.value("cryptopilot_wallet_funds", kind="free") == pytest.approx(
        alice_balance + bob_balance - 123.45
    )


async def test_pools_reconciler_and_sync_lag(make_client: ClientFactory) -> None:
    """A configured pool that refuses connections: down, never seen, its bot marked."""
    dead = f"http://127.0.0.1:{free_port()}"
    client = await make_client(pools=(f"gone={dead}",), pool_token="pool-secret")
    services = client.app[SERVICES]
    alice = await register_and_login(client)
    store = BotStore(client.app[DB], utcnow)
    await create_bot_row(store, "b-gone", alice.user_id, "gone", "running")

    found = await scrape(client)
    assert found.value("cryptopilot_gateway_pool_up", pool="gone") == 0  # never answered
    assert found.labelled("cryptopilot_gateway_pool_last_seen_seconds") == {}

    await services.pools.check_health()
    await services.reconciler.run_once()
    await services.reconciler.run_once()  # a lasting problem is recorded once
    found = await scrape(client)
    assert found.value("cryptopilot_gateway_pool_up", pool="gone") == 0
    actions = "cryptopilot_reconciler_actions_total"
    assert found.value(actions, action="marked_unreachable") == 1
    assert found.value(actions, action="problem_unreachable") == 1
    assert found.value(actions, action="readded") == 0

    # The pool's trade sync writes `bot_sync_state` (runtime/sync/writer.py) on every pass.
    synced_at = utcnow() - timedelta(minutes=10)
    async with client.app[DB].engine.begin() as conn:
        await write_batch(conn, "gone", "b-gone", Batch(), Cursor(), synced_at)
    found = await scrape(client)
    lag = found.value("cryptopilot_sync_lag_seconds", pool="gone")
    assert lag is not None and 600 <= lag < 660


async def test_metrics_token_closes_metrics(make_client: ClientFactory) -> None:
    client = await make_client(metrics_token="scrape-secret")
    response = await client.get("/metrics")
    assert response.status == 401
    assert (await response.json())["code"] == "NO_TOKEN"
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401 and (await wrong.json())["success"] is False
    found = await scrape(client, {"Authorization": "Bearer scrape-secret"})
    assert found.value("cryptopilot_auth_failures_total", reason="missing") == 1
    assert found.value("cryptopilot_auth_failures_total", reason="invalid") == 1


async def test_metrics_are_open_without_a_token(client: AppClient) -> None:
    found = await scrape(client)  # no Authorization header at all
    assert "cryptopilot_http_requests" in found.families


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_metrics_are_served_while_the_database_is_down(make_client: ClientFactory) -> None:
    client = await make_client(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none", auto_migrate=False
    )
    found = await scrape(client)
    assert "cryptopilot_http_requests" in found.families
    assert found.value("cryptopilot_sse_clients") == 0
    # What only the database knows is left out rather than shown as zero.
    assert found.labelled("cryptopilot_wallet_funds") == {}
    assert found.labelled("cryptopilot_gateway_pool_up") == {}
