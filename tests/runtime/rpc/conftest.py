"""One real pool serving its bots' APIs through its control port, shared by this package."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from runtime.rpc.client import PoolClient
from tests.fixtures.pools import POOL_TOKEN, RunningPool, running_pool
from tests.runtime.conftest import bot_body

POOL_ID = "routed-pool"
LIVE, SPARE = "bp-live", "bp-spare"  # SPARE is stopped and started by the tests


@dataclass(frozen=True)
class RoutedPool:
    """The pool and each bot's status as it reported it once running."""

    pool: RunningPool
    views: dict[str, dict[str, Any]]


def spec(bot_id: str) -> dict[str, Any]:
    return bot_body(bot_id, config_overrides={"force_entry_enable": True})


async def _start(url: str) -> dict[str, dict[str, Any]]:
    async with PoolClient(url, POOL_TOKEN, timeout=120) as pool:
        for bot_id in (LIVE, SPARE):
            await pool.add_bot(spec(bot_id))
        return {b: await pool.wait_for_state(b, "running", 180, 0.5) for b in (LIVE, SPARE)}


@pytest.fixture(scope="package")
def routed_pool(tmp_path_factory: pytest.TempPathFactory, sandbox_url: str) -> Iterator[RoutedPool]:
    """A pool with `bot_api_route=pool` and two running SandboxScalp1m bots."""
    data_dir = tmp_path_factory.mktemp("routed-pool") / "data"
    env = {"CRYPTOPILOT_POOL_BOT_API_ROUTE": "pool"}
    with running_pool(data_dir, sandbox_url, pool_id=POOL_ID, capacity=2, env=env) as pool:
        yield RoutedPool(pool, asyncio.run(_start(pool.url)))
