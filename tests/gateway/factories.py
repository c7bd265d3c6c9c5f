"""Factories for gateway rows that tests need without going through provisioning."""

from __future__ import annotations

from typing import Any

from gateway.db.database import Database
from gateway.services.accounts.users import UserStore
from gateway.services.common import utcnow
from gateway.services.trading.botstore import BotRecord, BotStore, DesiredState


async def create_user_row(db: Database, name: str) -> str:
    """A password-less user `<name>@example.com`; returns its id."""
    users = UserStore(db, utcnow)
    return (await users.create(email=f"{name}@example.com", username=name, password_hash=None)).id


async def create_bot_row(
    store: BotStore,
    bot_id: str,
    user_id: str,
    pool_id: str | None,
    desired: DesiredState = "running",
    **overrides: Any,
) -> BotRecord:
    """A `bots` row of a quiet bot (SafeDefaultStrategy on BTC/USDT); columns overridable."""
    values: dict[str, Any] = {
        "id": bot_id,
        "user_id": user_id,
        "pool_id": pool_id,
        "strategy": "SafeDefaultStrategy",
        "exchange": "kraken",
        "stake_currency": "USDT",
        "stake_amount": "10.0",
        "max_open_trades": 1,
        "timeframe": "5m",
        "pairs": ["BTC/USDT"],
        "dry_run": True,
        "wallet_cents": 10_000,
        "desired_state": desired,
    }
    values.update(overrides)
    return await store.create(**values)
