"""Snapshot retention: raw for 7 days, then the last of each hour per user, gone after 90 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.keys import SERVICES
from gateway.services.dashboard.portfolio import BotHoldings, Portfolio
from gateway.services.dashboard.snapshots import SnapshotStore
from migrations.schema import portfolio_snapshots
from tests.gateway.conftest import ClientFactory, register_and_login

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _at(user_id: str, at: datetime, value: int) -> Portfolio:
    return Portfolio(user_id, at, [BotHoldings("b1", [], value, 100_000, 0)])


async def test_raw_week_then_hourly_then_gone(make_client: ClientFactory) -> None:
    client = await make_client(app_kwargs={"clock": lambda: NOW})
    alice = (await register_and_login(client)).user_id
    bob = (await register_and_login(client, "bob@example.com")).user_id
    services = client.app[SERVICES]
    store = SnapshotStore(
        services.snapshots.db, lambda: NOW, portfolio=services.portfolio,
        bot_store=services.bot_store,
    )  # fmt: skip
    recent = NOW - timedelta(days=2, hours=3)  # inside the raw week: all six kept
    old = NOW - timedelta(days=20, hours=5)  # downsampled: two hours -> two snapshots
    for user_id in (alice, bob):
        for n in range(6):
            await store.record(_at(user_id, recent + timedelta(minutes=5 * n), 1_000 + n))
        for minutes in (0, 10, 50, 70, 80):  # hour h: 0, 10, 50; hour h+1: 70, 80
            await store.record(_at(user_id, old + timedelta(minutes=minutes), 2_000 + minutes))
        await store.record(_at(user_id, NOW - timedelta(days=91), 3_000))  # past 90 days

    assert await store.snapshot_pass() == 0  # no bots: nothing new; retention applied
    async with services.snapshots.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(portfolio_snapshots.c.user_id, portfolio_snapshots.c.at).order_by(
                    portfolio_snapshots.c.user_id, portfolio_snapshots.c.at
                )
            )
        ).all()
    for user_id in (alice, bob):
        times = [at for uid, at in rows if uid == user_id]
        assert times == [
            old + timedelta(minutes=50),  # the last of its hour
            old + timedelta(minutes=80),
            *(recent + timedelta(minutes=5 * n) for n in range(6)),
        ]
    # Running it again changes nothing.
    assert await store.downsample(NOW - timedelta(days=90), NOW - timedelta(days=7)) == 0
