"""Error JSON, request ids, CORS preflights and CORS headers on errors."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web

from gateway.app import create_app
from tests.gateway.conftest import AppClient

ORIGIN = "https://crypto-pilot.dev"


async def test_unknown_api_route_is_json_404_with_cors(client: AppClient) -> None:
    response = await client.get("/api/nope/here", headers={"Origin": ORIGIN})
    body = await response.json()
    assert response.status == 404
    assert body == {
        "success": False,
        "message": "API endpoint not found: GET /api/nope/here",
        "code": "NOT_FOUND",
    }
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert len(response.headers["X-Request-ID"]) >= 8


async def test_wrong_method_is_json_405(client: AppClient) -> None:
    response = await client.delete("/api/auth/login")
    body = await response.json()
    assert response.status == 405 and body["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/account/profile", "/api/x/y"])
async def test_preflight_allows_methods_and_headers(client: AppClient, path: str) -> None:
    response = await client.options(
        path,
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    methods = response.headers["Access-Control-Allow-Methods"]
    assert all(m in methods for m in ("GET", "POST", "PUT", "DELETE"))
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "RateLimit-Limit" not in response.headers


async def test_foreign_origin_gets_no_cors_headers(client: AppClient) -> None:
    response = await client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_any_origin_in_development(make_client) -> None:
    client = await make_client(env="development")
    response = await client.get("/api/health", headers={"Origin": "http://192.168.1.20:5174"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://192.168.1.20:5174"


async def test_bad_bodies_get_stable_codes(client: AppClient) -> None:
    cases = [
        (b"{not json", 400, "INVALID_JSON", None),
        (b"[1, 2]", 400, "INVALID_BODY", None),
        (b'{"email": "a@b.co"}', 422, "MISSING_FIELD", "password"),
        (b'{"email": 5, "password": "x"}', 422, "INVALID_TYPE", "email"),
        (b'{"email": "", "password": "x"}', 422, "INVALID_VALUE", "email"),
    ]
    for raw, status, code, field in cases:
        response = await client.post(
            "/api/auth/login",
            data=raw,
            headers={"Content-Type": "application/json", "Origin": ORIGIN},
        )
        body = await response.json()
        assert response.status == status, (raw, body)
        assert body["success"] is False and body["code"] == code
        assert isinstance(body["message"], str) and body["message"]
        if field:
            assert body["field"] == field
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_bug_is_500_json_without_traceback(
    aiohttp_client, make_settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    app = create_app(make_settings())
    app.router.add_get("/api/boom", boom)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR):
        response = await client.get(
            "/api/boom", headers={"Origin": ORIGIN, "X-Request-ID": "req-12345678"}
        )
    text = await response.text()
    assert response.status == 500
    assert "secret internals" not in text and "Traceback" not in text
    assert (await response.json())["code"] == "INTERNAL_ERROR"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["X-Request-ID"] == "req-12345678"
    record = next(r for r in caplog.records if r.exc_info)
    assert getattr(record, "request_id", None) in (None, "req-12345678")


async def test_metrics_count_requests_by_route(client: AppClient) -> None:
    await client.get("/api/health")
    text = await (await client.get("/metrics")).text()
    assert 'route="/api/health"' in text and "cryptopilot_http_requests_total" in text


async def test_health_and_ready(client: AppClient) -> None:
    response = await client.get("/api/health")
    assert response.status == 200 and await response.json() == {"status": "ok"}
    response = await client.get("/api/ready")
    assert response.status == 200 and (await response.json())["database"] == "ok"


async def test_ready_is_503_when_the_database_is_unreachable(make_client) -> None:
    client = await make_client(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none", auto_migrate=False
    )
    response = await client.get("/api/ready", headers={"Origin": ORIGIN})
    body = await response.json()
    assert response.status == 503
    assert body["success"] is False and body["code"] == "DATABASE_UNAVAILABLE"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_a_route_that_needs_a_database_that_is_down_is_503_database_unavailable(
    make_client,
) -> None:
    client = await make_client(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none", auto_migrate=False
    )
    response = await client.post(
        "/api/auth/login", json={"email": "alice@example.com", "password": "correct-horse"}
    )
    assert response.status == 503
    assert await response.json() == {
        "success": False,
        "message": "Database is not reachable, please retry",
        "code": "DATABASE_UNAVAILABLE",
    }
    assert (await client.get("/api/health")).status == 200  # liveness needs no database
