"""W8 over real HTTP: the paged wallet ledger, newest first, per user, with its 400s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.keys import SERVICES
from tests.gateway.conftest import Account, AppClient, ClientFactory

MakeAccount = Callable[..., Awaitable[Account]]
WALLET = "/api/account/wallet"
LEDGER = f"{WALLET}/transactions"


@pytest.fixture
async def client(make_client: ClientFactory) -> AppClient:
    """The gateway without its background loops: the wallet routes need none of them."""
    return await make_client(pool_health_interval=0, reconcile_interval=0, snapshot_interval=0)


async def page(client: AppClient, account: Account, **query: int) -> dict[str, Any]:
    response = await client.get(LEDGER, headers=account.auth, params=query)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    assert body["success"] is True
    return body["data"]  # type: ignore[no-any-return]


async def test_the_ledger_is_paged_newest_first_with_ids(
    client: AppClient, make_account: MakeAccount
) -> None:
    alice = await make_account()
    for amount in range(1, 26):  # 25 deposits after the starting balance: 26 rows
        response = await client.post(
            f"{WALLET}/deposit", json={"amount": amount}, headers=alice.auth
        )
        assert response.status == 200
    await client.app[SERVICES].wallet.allocate(alice.user_id, "alice-bot-1", "S (alice-bot-1)", 500)

    first = await page(client, alice)
    assert (first["total"], first["limit"], first["offset"]) == (27, 20, 0)
    rows = first["transactions"]
    assert len(rows) == 20
    newest = rows[0]
    assert newest["type"] == "allocate" and newest["amount"] == 5
    assert newest["botId"] == "alice-bot-1" and newest["botName"] == "S (alice-bot-1)"
    assert newest["balanceAfter"] == 1000 + sum(range(1, 26)) - 5
    assert isinstance(newest["id"], str) and newest["id"]
    assert [r["amount"] for r in rows[1:4]] == [25, 24, 23]
    assert "botId" not in rows[1]

    # The same serialisation as W1's recentTransactions, plus `id`.
    wallet = await client.get(WALLET, headers=alice.auth)
    recent = (await wallet.json())["data"]["recentTransactions"]
    assert [{k: v for k, v in r.items() if k != "id"} for r in rows] == recent

    rest = await page(client, alice, limit=20, offset=20)
    assert rest["total"] == 27 and rest["offset"] == 20
    assert [r["amount"] for r in rest["transactions"]] == [6, 5, 4, 3, 2, 1, 1000]
    assert rest["transactions"][-1]["description"] == "Starting paper balance"
    ids = [r["id"] for r in rows + rest["transactions"]]
    assert len(set(ids)) == 27

    small = await page(client, alice, limit=1, offset=1)
    assert [r["id"] for r in small["transactions"]] == [rows[1]["id"]]
    beyond = await page(client, alice, limit=100, offset=500)
    assert beyond["transactions"] == [] and beyond["total"] == 27


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=0", "INVALID_LIMIT"),
        ("limit=101", "INVALID_LIMIT"),
        ("limit=ten", "INVALID_LIMIT"),
        ("limit=2.5", "INVALID_LIMIT"),
        ("offset=-1", "INVALID_OFFSET"),
        ("offset=x", "INVALID_OFFSET"),
        ("offset=775754203432039715079207256064", "INVALID_OFFSET"),  # found by the fuzz
    ],
)
async def test_bad_paging_is_a_400(
    client: AppClient, make_account: MakeAccount, query: str, code: str
) -> None:
    alice = await make_account()
    response = await client.get(f"{LEDGER}?{query}", headers=alice.auth)
    assert response.status == 400
    body = await response.json()
    assert body["success"] is False and body["code"] == code and body["message"]


async def test_the_ledger_is_private_and_needs_a_login(
    client: AppClient, make_account: MakeAccount
) -> None:
    assert (await client.get(LEDGER)).status == 401
    alice = await make_account("alice@example.com")
    bob = await make_account("bob@example.com")
    await client.post(f"{WALLET}/deposit", json={"amount": 7}, headers=alice.auth)
    bob_page = await page(client, bob)
    assert bob_page["total"] == 1
    assert [r["description"] for r in bob_page["transactions"]] == ["Starting paper balance"]
    assert (await page(client, alice))["total"] == 2
