"""Prometheus' HTTP service discovery of the pools: who may read it and what it answers."""

from __future__ import annotations

from typing import Any

from gateway.keys import SERVICES
from gateway.services.pools.discovery import scrape_target
from tests.gateway.conftest import AppClient, ClientFactory, register_and_login
from tests.helpers import free_port

SD_PATH = "/api/internal/prometheus/pools"
METRICS_TOKEN = "scrape-secret"  # noqa: S105 - test value
POOL_TOKEN = "pool-secret"  # noqa: S105 - test value


def assert_http_sd_shape(body: Any) -> None:
    """Prometheus' documented format: a list of {targets: [string], labels: {string: string}}."""
    assert isinstance(body, list)
    for group in body:
        assert set(group) == {"targets", "labels"}
        assert isinstance(group["targets"], list) and group["targets"]
        assert all(isinstance(t, str) and ":" in t for t in group["targets"])
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in group["labels"].items())


async def sd_client(make_client: ClientFactory, **overrides: Any) -> AppClient:
    dead = f"http://127.0.0.1:{free_port()}"
    values: dict[str, Any] = {
        "pools": (f"pool-a={dead}", "pool-tls=https://pools.example.com/ctl"),
        "pool_token": POOL_TOKEN,
        "metrics_token": METRICS_TOKEN,
        "recent_read_ttl": 0,
        **overrides,
    }
    return await make_client(**values)


async def test_the_metrics_token_reads_every_registered_pool(make_client: ClientFactory) -> None:
    client = await sd_client(make_client)
    announced = f"http://127.0.0.1:{free_port()}"
    response = await client.post(
        "/api/pools/announce",
        json={"poolId": "edge-1", "controlUrl": announced},
        headers={"Authorization": f"Bearer {POOL_TOKEN}"},
    )
    assert response.status == 200, await response.text()

    response = await client.get(SD_PATH, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status == 200 and response.content_type == "application/json"
    body = await response.json()
    assert_http_sd_shape(body)
    records = await client.app[SERVICES].pools.list()
    by_pool = {group["labels"]["pool"]: group for group in body}
    assert set(by_pool) == {"edge-1", "pool-a", "pool-tls"}
    for record in records:
        host_port = record.control_url.removeprefix("http://")
        if record.id != "pool-tls":
            assert by_pool[record.id] == {
                "targets": [host_port],
                "labels": {"pool": record.id, "__scheme__": "http", "__metrics_path__": "/metrics"},
            }
    assert by_pool["pool-tls"] == {
        "targets": ["pools.example.com:443"],
        "labels": {"pool": "pool-tls", "__scheme__": "https", "__metrics_path__": "/ctl/metrics"},
    }


async def test_an_admin_may_read_it_a_user_may_not(make_client: ClientFactory) -> None:
    client = await sd_client(make_client)
    alice = await register_and_login(client)
    response = await client.get(SD_PATH, headers=alice.auth)
    assert response.status == 403
    error = await response.json()
    assert (error["success"], error["code"]) == (False, "ADMIN_REQUIRED")

    await client.app[SERVICES].users.set_role(alice.user_id, "admin")
    response = await client.get(SD_PATH, headers=alice.auth)
    assert response.status == 200
    assert_http_sd_shape(await response.json())


async def test_no_or_a_wrong_credential_is_401(make_client: ClientFactory) -> None:
    client = await sd_client(make_client)
    for headers, code in (
        ({}, "NO_TOKEN"),
        ({"Authorization": "Bearer wrong"}, "INVALID_TOKEN"),
        ({"Authorization": f"Bearer {POOL_TOKEN}"}, "INVALID_TOKEN"),  # the pools' token is not it
    ):
        response = await client.get(SD_PATH, headers=headers)
        assert response.status == 401
        error = await response.json()
        assert (error["success"], error["code"]) == (False, code)


async def test_without_a_metrics_token_only_admins_read_it(make_client: ClientFactory) -> None:
    client = await sd_client(make_client, metrics_token="")
    # An empty bearer must not match the empty (unset) token.
    response = await client.get(SD_PATH, headers={"Authorization": "Bearer "})
    assert response.status == 401
    alice = await register_and_login(client)
    await client.app[SERVICES].users.set_role(alice.user_id, "admin")
    assert (await client.get(SD_PATH, headers=alice.auth)).status == 200


async def test_discovery_and_metrics_are_in_the_openapi_document(client: AppClient) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    operation = document["paths"][SD_PATH]["get"]
    assert operation["security"] == [{"metricsToken": []}, {"bearer": []}]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert {"401", "403"} <= set(operation["responses"])
    assert document["paths"]["/metrics"]["get"]["security"] == [{"metricsToken": []}, {}]
    assert "metricsToken" in document["components"]["securitySchemes"]


def test_scrape_targets_keep_ports_schemes_and_path_prefixes() -> None:
    assert scrape_target("p", "http://10.0.0.5:18080") == scrape_target(
        "p", "http://10.0.0.5:18080/"
    )
    target = scrape_target("p", "http://[::1]:18080")
    assert (target.address, target.scheme, target.metrics_path) == (
        "[::1]:18080",
        "http",
        "/metrics",
    )
    target = scrape_target("p", "http://pool.internal")
    assert target.address == "pool.internal:80"
