"""Tenant isolation, generated from the route table: user B with user A's ids learns nothing.

Every `{param}` of every route, and every id in a request body or query string, is either a
tenant id (a bot, a session) or named here as not one; a new route with an unclassified id
fails `test_every_id_parameter_is_classified`. For every route carrying a tenant id, user B
calls it with user A's real ids and with ids that do not exist: the answers must be 403/404
and identical once the id itself is masked (so B cannot even tell A's bot exists), and they
must not contain anything of A's (e-mail, user id, strategy, wallet figures).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from aiohttp import web

from gateway.keys import SERVICES
from gateway.routing import ROUTE_TABLE, Access, Route
from tests.gateway.conftest import AppClient, ClientFactory, register_and_login
from tests.gateway.services.dashboard.test_portfolio import add_bot

PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
# Path parameters that name something a tenant owns, and what.
TENANT_PARAMS = {"instanceId": "bot", "sessionId": "session"}
# Path parameters that are not tenant ids, and why.
NOT_TENANT = {
    "interval": "a chart interval (1h, 24h, ...)",
    "className": "a strategy of the shared store (admin routes)",
    "version": "a version of a shared strategy (admin routes)",
    "tail": "the FreqTrade path behind the proxy",
}
# Tenant ids carried in request bodies or query strings (route -> where, field).
BODY_IDS: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/account/wallet/add-to-bot"): ("json", "botId"),
    ("POST", "/api/account/wallet/return-from-bot"): ("json", "botId"),
    ("GET", "/api/freqtrade/trades"): ("query", "bot"),
}
# Bodies that get a route past input validation to its ownership check.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/api/freqtrade/universal-settings/{instanceId}"): {"riskLevel": 10},
    ("PUT", "/api/freqtrade/universal-features/{instanceId}"): {"features": {}},
    ("PUT", "/api/freqtrade/bots/{instanceId}/strategy"): {"strategy": "SandboxScalp1m"},
    ("POST", "/api/account/wallet/add-to-bot"): {"amount": 1},
    ("POST", "/api/account/wallet/return-from-bot"): {},
}
# Provisioning takes the new bot's id in its body: ids are global (a pool folder each), so a
# taken id answers 409 whoever holds it. Left out of the matrix on purpose; see the README.
OUT_OF_MATRIX = {("POST", "/api/freqtrade/provision"): "bot ids are global (409 if taken)"}


def routes(app: web.Application) -> list[Route]:
    return sorted(app[ROUTE_TABLE].values(), key=lambda r: (r.path, r.method))


def params(route: Route) -> list[str]:
    return PARAM.findall(route.path)


def test_every_id_parameter_is_classified(client: AppClient) -> None:
    unknown = [
        (route.method, route.path, name)
        for route in routes(client.app)
        for name in params(route)
        if name not in TENANT_PARAMS and name not in NOT_TENANT
    ]
    assert unknown == [], "classify these path parameters in TENANT_PARAMS or NOT_TENANT"
    id_like = [
        (route.method, route.path, q.name)
        for route in routes(client.app)
        for q in route.query
        if q.name.lower().endswith("id") or q.name in ("bot", "pool", "trade")
    ]
    assert set(id_like) <= {(m, p, f) for (m, p), (_, f) in BODY_IDS.items()}, id_like
    table = {(r.method, r.path) for r in routes(client.app)}
    assert set(BODY_IDS) | set(BODIES) | set(OUT_OF_MATRIX) <= table  # no stale entries


def mask(text: str, ids: list[str]) -> str:
    for value in ids:
        text = text.replace(value, "<id>")
    return text


async def call(
    client: AppClient, route: Route, ids: dict[str, str], auth: dict[str, str]
) -> tuple[int, str]:
    path = route.path
    for name in params(route):
        value = "api/v1/status" if name == "tail" else ids[TENANT_PARAMS.get(name, name)]
        path = re.sub(r"{" + name + r"(?::[^}]*)?}", value, path)
    body = dict(BODIES.get((route.method, route.path), {}))
    query: dict[str, str] = {}
    where = BODY_IDS.get((route.method, route.path))
    if where is not None:
        (body if where[0] == "json" else query)[where[1]] = ids["bot"]
    has_body = route.method in ("POST", "PUT", "PATCH")
    response = await client.request(
        route.method, path, json=body if has_body else None, params=query, headers=auth
    )
    return response.status, await response.text()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_user_b_learns_nothing_from_user_a_ids(make_client: ClientFactory) -> None:
    client = await make_client(pool_token="isolation-pool-token-0123456789")
    services = client.app[SERVICES]
    alice = await register_and_login(client, "alice@example.com")
    bob = await register_and_login(client, "bob@example.com")
    await services.wallet.deposit(alice.user_id, 4_321_00, "test")
    await add_bot(services, alice.user_id, "alice-secret-bot", None)
    await services.wallet.allocate(alice.user_id, "alice-secret-bot", "Alice's bot", 1_234_00)
    alice_session = (await services.sessions.list_active(alice.user_id))[0].id
    real = {"bot": "alice-secret-bot", "session": alice_session}
    missing = {"bot": "nobody-bot-0000", "session": uuid.uuid4().hex}
    secrets = [alice.user_id, alice.email, "4321", "1234", "Alice's bot"]

    checked = []
    for route in routes(client.app):
        key = (route.method, route.path)
        tenant = [n for n in params(route) if n in TENANT_PARAMS] or key in BODY_IDS
        if not tenant or route.access is not Access.USER or key in OUT_OF_MATRIX:
            continue
        status, text = await call(client, route, real, bob.auth)
        other_status, other_text = await call(client, route, missing, bob.auth)
        where = f"{route.method} {route.path}: {status} {text[:300]}"
        assert (status, mask(text, list(real.values()))) == (
            other_status,
            mask(other_text, list(missing.values())),
        ), where
        if key not in BODY_IDS or BODY_IDS[key][0] == "json":
            assert status in (403, 404), where
        assert not any(secret in text for secret in secrets), where
        checked.append(key)
    # 17 bot routes, the session route, and the three body or query ids.
    assert len(checked) >= 20, checked

    # Alice's things are untouched by all of that.
    assert await services.bot_store.find("alice-secret-bot") is not None
    allocation = await services.wallet.allocation(alice.user_id, "alice-secret-bot")
    assert allocation is not None and allocation.allocated_cents == 1_234_00
    assert (await services.sessions.list_active(alice.user_id))[0].id == alice_session
