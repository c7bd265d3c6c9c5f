"""Gateway fixtures: the app on SQLite and on PostgreSQL, and factories for users and clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from gateway.app import create_app
from gateway.db.database import Database
from gateway.settings import Settings
from migrations.schema import metadata

PASSWORD = "correct-horse"
# Tables the revisions seed; everything else is emptied between PostgreSQL tests.
_KEEP = {"roles", "alembic_version"}

AppClient = TestClient[Any, Any]
ClientFactory = Callable[..., Awaitable[AppClient]]
ReplicaFactory = Callable[..., Awaitable[list[AppClient]]]


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    _truncate(url)


def _truncate(url: str) -> None:
    async def run() -> None:
        db = Database(url)
        try:
            await db.upgrade()
            async with db.engine.begin() as conn:
                names = [t.name for t in metadata.sorted_tables if t.name not in _KEEP]
                await conn.execute(text(f"TRUNCATE {', '.join(names)} CASCADE"))
        finally:
            await db.close()

    asyncio.run(run())


async def migrate(url: str) -> list[str]:
    """Apply the schema revisions out of band (production does not migrate at start-up)."""
    db = Database(url)
    try:
        return await db.upgrade()
    finally:
        await db.close()


def quiet_settings(db_url: str, tmp_path: Path) -> dict[str, Any]:
    """A test gateway's settings on `db_url`: fast hashing, no background loops."""
    return {
        "env": "test",
        "database_url": db_url,
        "jwt_secret": "test-secret-" + "x" * 32,
        "bcrypt_rounds": 4,
        # Background loops only where a test asks for them (they would touch the database
        # while fixtures truncate it).
        "pool_health_interval": 0,
        "reconcile_interval": 0,
        "trade_monitor_interval": 0,
        "snapshot_interval": 0,
        "strategy_watch_interval": 0,
        "strategy_repo": str(tmp_path / "strategies-repo"),
    }


@pytest.fixture
def make_settings(db_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Factory: test settings on this test's database, with overrides."""

    def make(**overrides: Any) -> Settings:
        return Settings(**(quiet_settings(db_url, tmp_path) | overrides))

    return make


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Awaitable[AppClient]],
    make_settings: Callable[..., Settings],
) -> ClientFactory:
    """Factory: a test client of a gateway built with `create_app(**app_kwargs)`."""

    async def make(app_kwargs: dict[str, Any] | None = None, **overrides: Any) -> AppClient:
        app = create_app(make_settings(**overrides), **(app_kwargs or {}))
        return await aiohttp_client(app)

    return make


@pytest.fixture
def make_replicas(
    aiohttp_client: Callable[..., Awaitable[AppClient]],
    make_postgres_database: Callable[[], str],
    tmp_path: Path,
) -> ReplicaFactory:
    """Factory: gateway replicas on one fresh PostgreSQL database, as behind a load balancer.

    Each is its own `create_app` (own services, caches, rate limiter and strategy folder) on its
    own test server; only the database, and Redis when `redis_url` is given, are shared.
    """
    db_url = make_postgres_database()  # here: the factory itself runs inside the event loop

    async def make(count: int = 2, **overrides: Any) -> list[AppClient]:
        replicas = []
        for n in range(count):
            values = quiet_settings(db_url, tmp_path) | {
                "strategy_repo": str(tmp_path / f"strategies-repo-{n}")
            }
            replicas.append(await aiohttp_client(create_app(Settings(**(values | overrides)))))
        return replicas

    return make


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[AppClient]:
    yield await make_client()


@dataclass
class Account:
    """A registered e-mail user and the login answer."""

    email: str
    password: str
    token: str
    user_id: str
    body: dict[str, Any]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register_and_login(
    client: AppClient, email: str = "alice@example.com", password: str = PASSWORD
) -> Account:
    name = email.split("@")[0]
    response = await client.post(
        "/api/auth/register", json={"username": name, "email": email, "password": password}
    )
    assert response.status == 201, await response.text()
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status == 200, await response.text()
    body = await response.json()
    return Account(email, password, body["token"], body["data"]["user"]["id"], body)


@pytest.fixture
def make_account(client: AppClient) -> Callable[..., Awaitable[Account]]:
    """Factory: register and log in a user on the default client."""

    async def make(email: str = "alice@example.com", password: str = PASSWORD) -> Account:
        return await register_and_login(client, email, password)

    return make
