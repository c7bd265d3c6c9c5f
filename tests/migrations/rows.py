"""A few rows across the schema (user, wallet, pool, bot and its settings), to see them survive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from gateway.db.database import Database
from migrations.schema import bot_settings, bots, pools, users, wallets

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def insert_rows(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                insert(users).values(
                    id="u1", email="a@example.com", username="a", display_name="A",
                    auth_provider="email", created_at=AT, updated_at=AT,
                )
            )  # fmt: skip
            await conn.execute(
                insert(wallets).values(
                    user_id="u1", balance_cents=12_345, created_at=AT, updated_at=AT
                )
            )
            await conn.execute(
                insert(pools).values(
                    id="p1", control_url="http://pool", capacity=4, source="settings",
                    created_at=AT, updated_at=AT,
                )
            )  # fmt: skip
            await conn.execute(
                insert(bots).values(
                    id="b1", user_id="u1", pool_id="p1", strategy="S", exchange="binance",
                    stake_currency="USDT", stake_amount="10", max_open_trades=1, timeframe="5m",
                    pairs="BTC/USDT", dry_run=True, wallet_cents=500, desired_state="running",
                    api_port=8101, created_at=AT, updated_at=AT,
                )
            )  # fmt: skip
            await conn.execute(
                insert(bot_settings).values(
                    bot_id="b1", settings="{}", features="{}", created_at=AT, updated_at=AT
                )
            )
    finally:
        await db.close()


async def read_rows(url: str) -> dict[str, Any]:
    """What `insert_rows` wrote, as the gateway reads it (with the server defaults)."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            user = (await conn.execute(select(users))).one()._asdict()
            wallet = (await conn.execute(select(wallets))).one()._asdict()
            bot = (await conn.execute(select(bots.c.id, bots.c.pool_id, bots.c.dry_run))).one()
            settings = (await conn.execute(select(bot_settings))).one()._asdict()
    finally:
        await db.close()
    return {"user": user, "wallet": wallet, "bot": tuple(bot), "settings": settings}
