"""Gateway replicas for tests: several apps on one database (and one Redis), as behind a balancer.

Each replica is its own `create_app` with its own services, caches and rate limiter, served by
its own aiohttp test server over real HTTP; only the database (and Redis, when set) is shared.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from gateway.app import create_app
from gateway.settings import Settings
from tests.gateway.conftest import AppClient, quiet_settings


async def start_replicas(
    aiohttp_client: Callable[..., Awaitable[AppClient]],
    db_url: str,
    tmp_path: Path,
    count: int = 2,
    **overrides: Any,
) -> list[AppClient]:
    """`count` gateways on `db_url` with the same settings (each its own strategy folder)."""
    replicas = []
    for n in range(count):
        values = quiet_settings(db_url, tmp_path) | {
            "strategy_repo": str(tmp_path / f"strategies-repo-{n}")
        }
        replicas.append(await aiohttp_client(create_app(Settings(**(values | overrides)))))
    return replicas
