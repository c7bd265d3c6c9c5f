"""The OpenAPI document is generated from the route table and covers every route."""

from __future__ import annotations

from tests.gateway.conftest import AppClient


async def test_every_registered_route_is_documented(client: AppClient) -> None:
    response = await client.get("/api/openapi.json")
    document = await response.json()
    assert response.status == 200 and document["openapi"].startswith("3.")
    registered = {
        (route.method.lower(), route.resource.canonical)
        for route in client.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    documented = {
        (method, path) for path, operations in document["paths"].items() for method in operations
    }
    assert registered == documented


async def test_models_become_schemas(client: AppClient) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    schemas = document["components"]["schemas"]
    login = document["paths"]["/api/auth/login"]["post"]
    body_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == "#/components/schemas/LoginRequest"
    assert set(schemas["LoginRequest"]["required"]) == {"email", "password"}
    assert schemas["ChangePasswordRequest"]["required"] == ["newPassword"]
    assert "paperBalance" not in schemas["VerifiedUser"]["required"]
    assert schemas["ProfileUpdate"]["properties"]["preferredCurrency"]["enum"][0] == "USD"
    assert login["x-access"] == "public"
    assert document["paths"]["/api/admin/users"]["get"]["x-access"] == "admin"
    assert "429" in login["responses"]


async def test_an_event_stream_documents_each_event(client: AppClient) -> None:
    # Found by tests/gateway/test_fuzz_openapi.py: the stream's `schema` was the object of all
    # payloads, but OpenAPI 3.1 reads an event stream's `schema` as the schema of one event.
    document = await (await client.get("/api/openapi.json")).json()
    for path in ("/api/stream", "/api/freqtrade/stream"):
        media = document["paths"][path]["get"]["responses"]["200"]["content"]["text/event-stream"]
        events = media["schema"]["oneOf"]
        assert [e["properties"]["event"]["const"] for e in events] == [
            "connected", "portfolio", "positions"
        ]  # fmt: skip
        portfolio = events[1]["properties"]["data"]
        assert portfolio["contentMediaType"] == "application/json"
        assert portfolio["contentSchema"] == {"$ref": "#/components/schemas/PortfolioBody"}
        assert all(e["required"] == ["event", "data"] for e in events)
