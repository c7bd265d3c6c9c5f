"""GET /api/freqtrade/trades: the caller's synced trades, filters, paging and P&L groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from migrations.schema import bot_trades, bots
from tests.gateway.conftest import AppClient, register_and_login

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _bot(bot_id: str, user_id: str, strategy: str) -> dict[str, Any]:
    return {
        "id": bot_id,
        "user_id": user_id,
        "strategy": strategy,
        "exchange": "binance",
        "stake_currency": "USDT",
        "stake_amount": "10",
        "max_open_trades": 3,
        "timeframe": "1m",
        "pairs": '["BTC/USDT"]',
        "dry_run": True,
        "wallet_cents": 100_000,
        "desired_state": "running",
        "created_at": T0,
        "updated_at": T0,
    }


def _trade(
    bot_id: str, trade_id: int, pair: str, hours: int, profit: float | None, **extra: Any
) -> dict[str, Any]:
    opened = T0 + timedelta(hours=hours)
    closed = None if profit is None else opened + timedelta(minutes=30)
    return {
        "bot_id": bot_id,
        "trade_id": trade_id,
        "pair": pair,
        "is_open": profit is None,
        "is_short": False,
        "amount": 0.001,
        "stake_amount": 10.0,
        "open_rate": 10000.0,
        "close_rate": None if profit is None else 10100.0,
        "open_date": opened,
        "close_date": closed,
        "close_profit_abs": profit,
        "close_profit": None if profit is None else profit / 10,
        "exit_reason": None if profit is None else "roi",
        "strategy": extra.pop("strategy", "Alpha"),
        "stake_currency": "USDT",
        "updated_at": closed or opened,
        "synced_at": T0 + timedelta(days=1),
        "deleted_at": extra.pop("deleted_at", None),  # every row names the same columns
        **extra,
    }


async def _seed(url: str, alice: str, bob: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(bots),
                [_bot("a1", alice, "Alpha"), _bot("a2", alice, "Beta"), _bot("b1", bob, "Alpha")],
            )
            await conn.execute(
                insert(bot_trades),
                [
                    _trade("a1", 1, "BTC/USDT", 0, 1.5),
                    _trade("a1", 2, "ETH/USDT", 1, -0.5),
                    _trade("a1", 3, "BTC/USDT", 5, None),
                    _trade("a2", 1, "BTC/USDT", 2, 2.0, strategy="Beta"),
                    _trade("a2", 2, "BTC/USDT", 3, 9.0, strategy="Beta", deleted_at=T0),
                    _trade("b1", 1, "BTC/USDT", 4, 100.0),
                ],
            )
    finally:
        await engine.dispose()


async def _get(client: AppClient, auth: dict[str, str], query: str = "") -> Any:
    response = await client.get(f"/api/freqtrade/trades{query}", headers=auth)
    return response.status, await response.json()


async def test_only_own_live_trades_newest_first_with_pnl_groups(
    client: AppClient, db_url: str
) -> None:
    alice = await register_and_login(client)
    bob = await register_and_login(client, "bob@example.com")
    await _seed(db_url, alice.user_id, bob.user_id)

    status, body = await _get(client, alice.auth)
    assert status == 200, body
    data = body["data"]
    assert [(t["botId"], t["tradeId"]) for t in data["trades"]] == [
        ("a1", 3),
        ("a2", 1),
        ("a1", 2),
        ("a1", 1),
    ]
    assert (data["total"], data["page"], data["pageSize"], data["totalPages"]) == (4, 1, 50, 1)
    first = data["trades"][0]
    assert (first["status"], first["closeDate"], first["openDate"]) == (
        "open",
        None,
        "2025-03-01T17:00:00.000Z",
    )
    closed = data["trades"][-1]
    assert (closed["profitAbs"], closed["exitReason"], closed["stakeCurrency"]) == (
        1.5,
        "roi",
        "USDT",
    )
    summary = data["summary"]
    assert summary["byBot"] == [
        {"key": "a1", "closedTrades": 2, "openTrades": 1, "profitAbs": 1.0},
        {"key": "a2", "closedTrades": 1, "openTrades": 0, "profitAbs": 2.0},
    ]
    assert [(g["key"], g["profitAbs"]) for g in summary["byStrategy"]] == [
        ("Alpha", 1.0),
        ("Beta", 2.0),
    ]
    assert [(g["key"], g["profitAbs"]) for g in summary["byPair"]] == [
        ("BTC/USDT", 3.5),
        ("ETH/USDT", -0.5),
    ]
    assert summary["totalProfitAbs"] == 3.0

    # Bob sees only his bot; asking for Alice's bot gives nothing.
    _, bobs = await _get(client, bob.auth)
    assert [(t["botId"], t["profitAbs"]) for t in bobs["data"]["trades"]] == [("b1", 100.0)]
    _, foreign = await _get(client, bob.auth, "?bot=a1")
    assert foreign["data"]["trades"] == [] and foreign["data"]["total"] == 0


async def test_filters_and_paging(client: AppClient, db_url: str) -> None:
    alice = await register_and_login(client)
    bob = await register_and_login(client, "bob@example.com")
    await _seed(db_url, alice.user_id, bob.user_id)

    _, open_only = await _get(client, alice.auth, "?status=open")
    assert [t["tradeId"] for t in open_only["data"]["trades"]] == [3]
    _, closed = await _get(client, alice.auth, "?status=closed&bot=a1&pair=BTC/USDT")
    assert [(t["botId"], t["tradeId"]) for t in closed["data"]["trades"]] == [("a1", 1)]
    assert closed["data"]["summary"]["byBot"][0]["profitAbs"] == 1.5

    # The period 13:00-15:00 holds trades opened or closed in it (and open ones from before).
    _, period = await _get(
        client, alice.auth, "?status=closed&from=2025-03-01T13:00:00Z&to=2025-03-01T15:00:00Z"
    )
    assert [(t["botId"], t["tradeId"]) for t in period["data"]["trades"]] == [
        ("a2", 1),
        ("a1", 2),
    ]

    _, page2 = await _get(client, alice.auth, "?page=2&pageSize=3")
    data = page2["data"]
    assert [(t["botId"], t["tradeId"]) for t in data["trades"]] == [("a1", 1)]
    assert (data["total"], data["totalPages"]) == (4, 2)
    # The summary covers the whole period, not the page.
    assert data["summary"]["totalProfitAbs"] == 3.0


async def test_bad_parameters_are_400(client: AppClient) -> None:
    alice = await register_and_login(client)
    cases = {
        "?status=pending": "INVALID_STATUS",
        "?from=yesterday": "INVALID_DATE",
        "?from=2025-03-02&to=2025-03-01": "INVALID_DATE",
        "?page=0": "INVALID_PAGE",
        "?pageSize=201": "INVALID_PAGE",
        "?pageSize=ten": "INVALID_PAGE",
    }
    for query, code in cases.items():
        status, body = await _get(client, alice.auth, query)
        assert (status, body["success"], body["code"]) == (400, False, code), query
    status, _ = await _get(client, {}, "")
    assert status == 401
