"""A real pool supervisor seen by the gateway: pool up and last seen, and a discovered target
that really serves the pool's metrics."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from tests.fixtures.pools import POOL_TOKEN, running_pool
from tests.gateway.conftest import ClientFactory
from tests.gateway.scrape import parse, scrape
from tests.helpers import async_wait_until

METRICS_TOKEN = "scrape-secret"  # noqa: S105 - test value
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.mark.e2e
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_real_pool_is_up_discovered_and_then_down(
    make_client: ClientFactory, tmp_path: Path, sandbox_url: str
) -> None:
    with running_pool(tmp_path / "pool", sandbox_url, pool_id="p1", capacity=1) as pool:
        client = await make_client(
            pools=(f"p1={pool.url}",),
            pool_token=POOL_TOKEN,
            metrics_token=METRICS_TOKEN,
            pool_health_interval=0.5,
        )

        async def seen(expected: float) -> bool:
            found = await scrape(client, SCRAPER)
            age = found.value("cryptopilot_gateway_pool_last_seen_seconds", pool="p1")
            up = found.value("cryptopilot_gateway_pool_up", pool="p1")
            return up == expected and age is not None and age < 30

        await async_wait_until(lambda: seen(1), timeout=30, interval=0.2, what="pool p1 up")

        response = await client.get("/api/internal/prometheus/pools", headers=SCRAPER)
        [group] = await response.json()
        assert group["labels"]["pool"] == "p1"
        # Scrape the target the way Prometheus would: scheme, address, path, pool token.
        labels = group["labels"]
        url = f"{labels['__scheme__']}://{group['targets'][0]}{labels['__metrics_path__']}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers={"Authorization": f"Bearer {POOL_TOKEN}"}) as answer,
        ):
            assert answer.status == 200
            pool_metrics = parse(await answer.text())
        assert pool_metrics.value("cryptopilot_pool_capacity", pool="p1") == 1

    # The supervisor is gone: the next health passes find nothing listening.
    await async_wait_until(lambda: seen(0), timeout=30, interval=0.2, what="pool p1 down")
