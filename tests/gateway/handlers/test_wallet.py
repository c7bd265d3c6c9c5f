"""W1-W4 over real HTTP: contract field names and JSON types, errors, and per-user wallets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.keys import SERVICES
from tests.gateway.conftest import Account, AppClient, ClientFactory

MakeAccount = Callable[..., Awaitable[Account]]
WALLET = "/api/account/wallet"


@pytest.fixture
async def client(make_client: ClientFactory) -> AppClient:
    """The gateway without its background loops: the wallet routes need none of them."""
    return await make_client(pool_health_interval=0, reconcile_interval=0, snapshot_interval=0)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_iso(value: Any) -> bool:
    return isinstance(value, str) and value.endswith("Z") and "T" in value


async def get_wallet(client: AppClient, account: Account) -> dict[str, Any]:
    response = await client.get(WALLET, headers=account.auth)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    assert body["success"] is True
    return body["data"]  # type: ignore[no-any-return]


async def test_a_new_user_sees_the_starting_balance(
    client: AppClient, make_account: MakeAccount
) -> None:
    alice = await make_account()
    data = await get_wallet(client, alice)
    assert data["balance"] == 1000 and data["currency"] == "USD"
    assert is_iso(data["lastUpdated"])
    for key in ("totalAllocated", "totalCurrentValue", "unrealizedPnL"):
        assert is_number(data[key]) and data[key] == 0
    assert data["totalPortfolioValue"] == 1000
    assert data["botAllocations"] == {}
    [start] = data["recentTransactions"]
    assert start["type"] == "deposit" and start["amount"] == 1000
    assert start["description"] == "Starting paper balance" and start["balanceAfter"] == 1000
    assert is_iso(start["timestamp"]) and "botId" not in start


async def test_allocations_and_bot_transactions_are_shown(
    client: AppClient, make_account: MakeAccount
) -> None:
    alice = await make_account()
    wallet = client.app[SERVICES].wallet
    await wallet.allocate(alice.user_id, "alice-bot-1", "EmaRsiStrategy (alice-bot-1)", 25_050)
    await wallet.update_values(alice.user_id, {"alice-bot-1": (26_000, 5_000)})
    data = await get_wallet(client, alice)
    assert data["balance"] == 749.5
    allocation = data["botAllocations"]["alice-bot-1"]
    assert allocation == {
        "allocatedAmount": 250.5,
        "currentValue": 260.0,
        "reservedInTrades": 50.0,
        "availableBalance": 210.0,
        "lifetimePnL": 0.0,
        "allocatedAt": allocation["allocatedAt"],
        "botName": "EmaRsiStrategy (alice-bot-1)",
    }
    assert is_iso(allocation["allocatedAt"])
    assert (data["totalAllocated"], data["totalCurrentValue"]) == (250.5, 260.0)
    assert data["totalPortfolioValue"] == 1009.5 and data["unrealizedPnL"] == 9.5
    newest = data["recentTransactions"][0]
    assert newest["type"] == "allocate" and newest["amount"] == 250.5
    assert newest["botId"] == "alice-bot-1" and newest["balanceAfter"] == 749.5


async def test_deposit_withdraw_and_set_balance(
    client: AppClient, make_account: MakeAccount
) -> None:
    alice = await make_account()
    response = await client.post(f"{WALLET}/deposit", json={"amount": 250.25}, headers=alice.auth)
    assert response.status == 200
    body = await response.json()
    assert body["success"] is True and body["message"] == "Deposited $250.25"
    assert body["data"]["balance"] == 1250.25
    transaction = body["data"]["transaction"]
    assert transaction["type"] == "deposit" and transaction["description"] == "Manual deposit"
    assert transaction["amount"] == 250.25 and transaction["balanceAfter"] == 1250.25

    response = await client.post(
        f"{WALLET}/withdraw", json={"amount": 50, "description": "Coffee"}, headers=alice.auth
    )
    body = await response.json()
    assert response.status == 200 and body["data"]["balance"] == 1200.25
    assert body["data"]["transaction"]["description"] == "Coffee"

    response = await client.post(f"{WALLET}/set-balance", json={"amount": 0}, headers=alice.auth)
    body = await response.json()
    assert response.status == 200 and body["data"]["balance"] == 0
    assert body["message"] == "Wallet balance set to $0.00"
    assert body["data"]["transaction"]["type"] == "withdraw"

    data = await get_wallet(client, alice)
    assert data["balance"] == 0
    assert [t["type"] for t in data["recentTransactions"]] == [
        "withdraw",
        "withdraw",
        "deposit",
        "deposit",
    ]


async def test_refusals_are_json_errors(client: AppClient, make_account: MakeAccount) -> None:
    alice = await make_account()
    response = await client.post(f"{WALLET}/withdraw", json={"amount": 1000.01}, headers=alice.auth)
    assert response.status == 400
    body = await response.json()
    assert body == {"success": False, "message": "Insufficient funds", "code": "INSUFFICIENT_FUNDS"}

    response = await client.post(f"{WALLET}/deposit", json={"amount": 99_001}, headers=alice.auth)
    body = await response.json()
    assert response.status == 400 and body["success"] is False
    assert body["message"] == "Deposit would exceed maximum wallet size of $100,000.00"

    bad_bodies = [
        ("set-balance", {"amount": 1_000_000.01}),
        ("set-balance", {"amount": -1}),
        ("set-balance", {}),
        ("deposit", {"amount": "100"}),
        ("deposit", {"amount": 0}),
        ("withdraw", {"amount": 10, "description": "x" * 201}),
    ]
    for path, payload in bad_bodies:
        response = await client.post(f"{WALLET}/{path}", json=payload, headers=alice.auth)
        body = await response.json()
        assert response.status == 422, (path, payload, body)
        assert body["success"] is False and body["message"] and body["field"]
    assert (await get_wallet(client, alice))["balance"] == 1000


async def test_amounts_too_large_for_cents_are_refused_not_crashed(
    client: AppClient, make_account: MakeAccount
) -> None:
    # Found by tests/gateway/test_fuzz_openapi.py: these were 500s (decimal.InvalidOperation).
    alice = await make_account()
    for path in ("set-balance", "deposit", "withdraw", "add-to-bot", "return-from-bot"):
        for amount in (1.7976931348623157e308, -6.8e40, 10**40):
            payload = {"amount": amount, "botId": "b1", "returnAmount": amount}
            response = await client.post(f"{WALLET}/{path}", json=payload, headers=alice.auth)
            body = await response.json()
            assert response.status == 422, (path, amount, body)
            assert body["success"] is False and body["code"] == "INVALID_AMOUNT"
    assert (await get_wallet(client, alice))["balance"] == 1000


async def test_the_wallet_needs_a_login(client: AppClient) -> None:
    for method, path in [("GET", WALLET), ("POST", f"{WALLET}/deposit")]:
        response = await client.request(method, path, json={"amount": 5})
        assert response.status == 401
        assert (await response.json())["success"] is False


async def test_each_user_sees_only_their_own_wallet(
    client: AppClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice@example.com")
    bob = await make_account("bob@example.com")
    await client.post(f"{WALLET}/set-balance", json={"amount": 5}, headers=alice.auth)
    await client.app[SERVICES].wallet.allocate(alice.user_id, "a1", "S (a1)", 300)
    bob_data = await get_wallet(client, bob)
    assert bob_data["balance"] == 1000 and bob_data["botAllocations"] == {}
    assert [t["description"] for t in bob_data["recentTransactions"]] == ["Starting paper balance"]
    alice_data = await get_wallet(client, alice)
    assert alice_data["balance"] == 2 and set(alice_data["botAllocations"]) == {"a1"}
