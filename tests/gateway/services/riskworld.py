"""A risk-settings world for service tests: a database with Alice and Bob, their bots and pools."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from gateway.db.database import Database
from gateway.errors import Unavailable
from gateway.services.accounts.users import UserStore
from gateway.services.common import utcnow
from gateway.services.pools.control import PoolControl
from gateway.services.risk.settings import RiskSettingsService
from gateway.services.strategies.catalogue import StrategyCatalogue
from gateway.services.strategies.store import StrategyStore
from gateway.services.strategies.validation import Validator
from gateway.services.trading.botapi import BotApiClient
from gateway.services.trading.botstore import BotRecord, BotStore
from migrations.schema import bot_settings, pools
from runtime.botconfig import strategies_dir
from runtime.rpc.client import PoolClient
from runtime.strategycheck import Limits
from tests.fixtures.pools import POOL_TOKEN

STRATEGY = "SafeDefaultStrategy"  # bundled, so it sells at take-profit ladder rungs


@dataclass
class Pools:
    """The one method the service needs of the pool directory, over real pool controls."""

    controls: dict[str, PoolControl] = field(default_factory=dict)

    def control(self, pool_id: str) -> PoolControl:
        if pool_id not in self.controls:
            raise Unavailable(f"Pool {pool_id} is unknown", "POOL_UNAVAILABLE")
        return self.controls[pool_id]

    async def open(self, pool_id: str, url: str, token: str = POOL_TOKEN) -> PoolClient:
        """The pool's control for the service; the raw client for the test's own calls."""
        client = await PoolClient(url, token, timeout=30).__aenter__()
        self.controls[pool_id] = PoolControl(pool_id, client)
        return client

    async def close(self) -> None:
        for control in self.controls.values():
            await control.close()


@dataclass
class MovingClock:
    """The services' clock: the real time, plus however far a test moved it on."""

    ahead: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.ahead

    def advance(self, by: timedelta) -> None:
        self.ahead += by


@dataclass
class World:
    db: Database
    clock: MovingClock
    store: BotStore
    pools: Pools
    api: BotApiClient
    risk: RiskSettingsService
    alice: str
    bob: str

    async def add_pool(self, pool_id: str, url: str) -> None:
        now = utcnow()
        async with self.db.engine.begin() as conn:
            await conn.execute(
                insert(pools).values(
                    id=pool_id, control_url=url, capacity=5, source="settings",
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip

    async def add_bot(
        self, bot_id: str, user_id: str | None = None, pool_id: str | None = None, **extra: Any
    ) -> BotRecord:
        values: dict[str, Any] = {
            "id": bot_id, "user_id": user_id or self.alice, "pool_id": pool_id,
            "strategy": STRATEGY, "exchange": "binance", "stake_currency": "USDT",
            "stake_amount": "unlimited", "max_open_trades": 3, "timeframe": "5m",
            "pairs": ["BTC/USDT"], "dry_run": True, "wallet_cents": 100_000,
            "desired_state": "running",
        }  # fmt: skip
        return await self.store.create(**{**values, **extra})

    async def row(self, bot_id: str) -> Any:
        async with self.db.engine.connect() as conn:
            query = select(bot_settings).where(bot_settings.c.bot_id == bot_id)
            return (await conn.execute(query)).first()


async def make_world(url: str, repo: Path) -> World:
    """The world on database `url`, with a strategy store at `repo` seeded from strategies/."""
    db = Database(url)
    await db.upgrade()
    users = UserStore(db)
    alice = await users.create(email="alice@example.com", username="alice", password_hash=None)
    bob = await users.create(email="bob@example.com", username="bob", password_hash=None)
    clock = MovingClock()
    store = BotStore(db, clock)
    directory = Pools()
    api = BotApiClient(pool_token=POOL_TOKEN, timeout=10)
    strategies = StrategyStore(repo, Validator("", Limits()))
    await strategies.open(strategies_dir())
    catalogue = StrategyCatalogue(strategies)
    await catalogue.refresh()
    risk = RiskSettingsService(db, clock, bots=store, pools=directory, api=api, catalogue=catalogue)
    return World(db, clock, store, directory, api, risk, alice.id, bob.id)


async def show_config(world: World, bot_id: str) -> dict[str, Any]:
    record = await world.store.find(bot_id)
    assert record is not None and record.endpoint is not None
    return dict(await world.api.get_json(record.endpoint, "/api/v1/show_config"))
