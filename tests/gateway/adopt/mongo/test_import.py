"""`cryptopilot migrate mongo` against real SQLite and PostgreSQL, checked through the gateway."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine

from cli.main import main
from migrations.schema import legacy_ids, metadata, users, wallets
from tests.gateway.adopt.mongo import dumps
from tests.gateway.conftest import ClientFactory, migrate, register_and_login
from tests.helpers import free_port

# Tables the import writes; compared before and after a second run.
WRITTEN = (
    "users",
    "wallets",
    "wallet_allocations",
    "wallet_transactions",
    "portfolio_snapshots",
    "legacy_ids",
)


def old_platform(directory: Path, fmt: str) -> dict[str, Any]:
    """A dump of the old platform in `fmt` (bson or json), with good, bad and duplicate data."""
    alice = dumps.alice()
    google = dumps.user(
        "gina@example.com",
        password="sha1$abc$def",  # not bcrypt: imported without a password
        firebaseUid="firebase-gina",
        balance=0,
        allocations={"gina-bot-7": {"allocatedAmount": 50, "botName": "Gina bot"}},
    )
    duplicate = dumps.user("alice@example.com", balance=5)
    bad = dumps.user("broken", balance=1)
    write = dumps.write_bson if fmt == "bson" else dumps.write_jsonl
    write(directory, "users", [alice, google, duplicate, bad])
    write(
        directory,
        "portfoliosnapshots",
        [dumps.snapshot(alice, 1000 + i, i) for i in range(3)] + [dumps.snapshot(bad, 1, 9)],
    )
    write(
        directory,
        "botinstances",
        [{"_id": ObjectId(), "instanceId": "alice-bot-1", "userId": alice["_id"]}],
    )
    return {"alice": alice, "google": google}


def row(kind: str, counts: str) -> str:
    """A line of the report's count table."""
    return f"{kind:20} {counts}"


def run_cli(*args: str) -> int:
    return main(["migrate", "mongo", *args])


async def table_contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = {}
            for name in WRITTEN:
                table = metadata.tables[name]
                rows = (await conn.execute(select(table))).all()
                result[name] = sorted(tuple(r) for r in rows)
            return result
    finally:
        await engine.dispose()


async def execute(url: str, statement: Any) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(statement)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("fmt", ["bson", "json"])
async def test_import_then_log_in_with_the_old_password(
    db_url: str,
    tmp_path: Path,
    make_client: ClientFactory,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    await migrate(db_url)
    dump = tmp_path / "dump" / "cryptopilot"
    old_platform(dump, fmt)

    assert (
        await asyncio.to_thread(run_cli, "--dump", str(tmp_path / "dump"), "--database-url", db_url)
        == 0
    )
    out = capsys.readouterr().out
    assert row("users", "imported 2, skipped 2") in out
    assert row("wallets", "imported 2") in out
    assert row("portfoliosnapshots", "imported 3, skipped 1") in out
    assert row("bots", "skipped 1") in out
    assert "duplicate e-mail alice@example.com" in out
    assert "password is not a bcrypt hash" in out
    assert "gina-bot-7" in out and "W7" in out  # allocation without a bot: kept, reported
    assert "verification passed" in out

    client = await make_client()
    login = await client.post(
        "/api/auth/login", json={"email": "alice@example.com", "password": dumps.OLD_PASSWORD}
    )
    assert login.status == 200, await login.text()
    token = (await login.json())["token"]
    wallet = await client.get("/api/account/wallet", headers={"Authorization": f"Bearer {token}"})
    data = (await wallet.json())["data"]
    assert data["balance"] == 900
    assert data["totalAllocated"] == 100
    allocation = data["botAllocations"]["alice-bot-1"]
    assert allocation["allocatedAmount"] == 100 and allocation["currentValue"] == 104.5
    assert allocation["reservedInTrades"] == 20
    assert [t["type"] for t in data["recentTransactions"]] == ["allocate", "deposit"]
    assert data["recentTransactions"][0]["balanceAfter"] == 900

    gina = await client.post(
        "/api/auth/login", json={"email": "gina@example.com", "password": "anything"}
    )
    assert gina.status == 400
    assert (await gina.json())["code"] == "GOOGLE_ACCOUNT"

    before = await table_contents(db_url)
    assert len(before["users"]) == 2 and len(before["portfolio_snapshots"]) == 3

    # A second run with the same dump changes nothing.
    assert (
        await asyncio.to_thread(run_cli, "--dump", str(tmp_path / "dump"), "--database-url", db_url)
        == 0
    )
    out = capsys.readouterr().out
    assert row("users", "skipped 4") in out
    assert "users: 2 x unchanged" in out and "wallets: 2 x unchanged" in out
    assert "portfoliosnapshots: 3 x unchanged" in out
    after = await table_contents(db_url)
    assert after == before


async def test_changed_document_updates_and_existing_email_keeps_its_id(
    db_url: str,
    tmp_path: Path,
    make_client: ClientFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = await make_client()
    registered = await register_and_login(client, "gina@example.com", "new-platform-pw")
    await client.get("/api/account/wallet", headers=registered.auth)  # creates her wallet
    dump = tmp_path / "dump"
    docs = old_platform(dump, "bson")
    assert await asyncio.to_thread(run_cli, "--dump", str(dump), "--database-url", db_url) == 0
    out = capsys.readouterr().out
    assert "users: 1 x e-mail already registered (linked)" in out
    assert "wallets: 1 x the account already has a wallet on the new platform" in out
    assert "verification passed" in out

    # The old backend kept running a little: Alice's balance moved, Gina's document too.
    docs["alice"]["paperWallet"]["balance"] = 950
    docs["alice"]["displayName"] = "Alice Renamed"
    docs["google"]["avatar"] = "https://example.com/g.png"
    dumps.write_bson(dump, "users", [docs["alice"], docs["google"]])
    assert await asyncio.to_thread(run_cli, "--dump", str(dump), "--database-url", db_url) == 0
    out = capsys.readouterr().out
    assert row("users", "skipped 1, updated 1") in out
    assert row("wallets", "skipped 1, updated 1") in out
    assert "verification passed" in out

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = {r.email: r for r in (await conn.execute(select(users))).all()}
            query = select(wallets.c.user_id, wallets.c.balance_cents)
            balances = {r.user_id: r.balance_cents for r in await conn.execute(query)}
    finally:
        await engine.dispose()
    assert rows["gina@example.com"].id == registered.user_id
    assert rows["gina@example.com"].avatar == ""  # a linked account is kept as is
    assert rows["alice@example.com"].display_name == "Alice Renamed"
    assert balances[rows["alice@example.com"].id] == 95_000
    login = await client.post(
        "/api/auth/login", json={"email": "gina@example.com", "password": "new-platform-pw"}
    )
    assert login.status == 200


async def test_dry_run_writes_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await migrate(db_url)
    old_platform(tmp_path, "json")
    assert (
        await asyncio.to_thread(
            run_cli, "--dump", str(tmp_path), "--dry-run", "--database-url", db_url
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "Dry run (nothing written)"
    assert row("users", "skipped 2, would import 2") in out
    assert "Problems (3):" in out
    contents = await table_contents(db_url)
    assert all(rows == [] for rows in contents.values())


async def test_verify_catches_a_tampered_target(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await migrate(db_url)
    old_platform(tmp_path, "bson")
    args = ("--dump", str(tmp_path), "--database-url", db_url)
    assert await asyncio.to_thread(run_cli, *args) == 0
    assert await asyncio.to_thread(run_cli, *args, "--verify-only") == 0
    capsys.readouterr()

    await execute(db_url, update(wallets).values(balance_cents=wallets.c.balance_cents + 1))
    assert await asyncio.to_thread(run_cli, *args, "--verify-only") == 1
    out = capsys.readouterr().out
    assert "sum of balances" in out and "MISMATCH" in out
    assert "balance + allocated != deposited - withdrawn + realised pnl" in out
    assert "verification FAILED" in out

    await execute(
        db_url, legacy_ids.delete().where(legacy_ids.c.collection == "portfoliosnapshots")
    )
    assert await asyncio.to_thread(run_cli, *args, "--verify-only") == 1
    assert "portfolio snapshots" in capsys.readouterr().out


def test_refuses_without_a_source_or_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    assert run_cli("--dump", str(tmp_path / "missing"), "--database-url", url) == 2
    assert "cannot read the source" in capsys.readouterr().err
    assert run_cli("--dump", str(tmp_path), "--database-url", url) == 2
    assert "cryptopilot db upgrade" in capsys.readouterr().err
    assert run_cli("--mongo-uri", "mongodb://127.0.0.1:1") == 2
    assert "--mongo-db" in capsys.readouterr().err
    uri = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300"
    assert run_cli("--mongo-uri", uri, "--mongo-db", "old") == 2
    assert "cannot read the source: MongoDB:" in capsys.readouterr().err


async def test_a_user_the_database_refuses_is_reported_and_the_rest_imported(
    db_url: str,
    tmp_path: Path,
    make_client: ClientFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = await make_client()
    await register_and_login(client, "carol@example.com")
    docs = old_platform(tmp_path, "bson")
    args = ("--dump", str(tmp_path), "--database-url", db_url)
    assert await asyncio.to_thread(run_cli, *args) == 0
    capsys.readouterr()

    # Alice's e-mail changed on the old platform to one that belongs to another account here.
    docs["alice"]["email"] = "carol@example.com"
    docs["google"]["paperWallet"]["balance"] = 7
    dumps.write_bson(tmp_path, "users", [docs["alice"], docs["google"]])
    assert await asyncio.to_thread(run_cli, *args) == 1
    out = capsys.readouterr().out
    assert "users: 1 x refused by the database" in out
    assert row("wallets", "updated 1") in out  # Gina's change went through
    assert f"user carol@example.com ({docs['alice']['_id']}) is missing" in out
    assert "verification FAILED" in out
