"""`cryptopilot bot adopt`: an old stand-alone bot's folder becomes a pool bot, same trades."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from freqtrade_client import FtRestClient
from sqlalchemy import func, select

from gateway.adopt.cli import adopt_command
from gateway.adopt.service import AdoptService
from gateway.adopt.snapshot import fingerprint
from gateway.db.database import Database
from gateway.errors import ApiError
from gateway.services.accounts.users import UserStore
from gateway.services.common import utcnow
from gateway.services.container import build_trading
from gateway.services.money.wallet import WalletService
from gateway.services.trading.botstore import BotRecord, BotStore
from gateway.settings import Settings
from gateway.usercli import create_user
from migrations.schema import bots, wallet_allocations
from runtime.credentials import bot_api_password
from tests.fixtures.pools import POOL_TOKEN, RunningPool
from tests.gateway.adopt.conftest import (
    OLD_STRATEGY,
    OLD_WALLET,
    OldBot,
    pool_bots,
    remove_pool_bot,
)
from tests.helpers import wait_until

EMAIL = "adopter@example.com"


@pytest.fixture
def gateway_env(
    db_url: str, pool: RunningPool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    """The gateway's settings as the CLI reads them (environment), with a registered user."""
    values = {
        "ENV": "test",
        "DATABASE_URL": db_url,
        "JWT_SECRET": "test-secret-" + "x" * 32,
        "BCRYPT_ROUNDS": "4",
        "POOLS": f"{pool.pool_id}={pool.url}",
        "POOL_TOKEN": POOL_TOKEN,
        "STRATEGY_REPO": str(tmp_path / "strategies-repo"),
    }
    for name, value in values.items():
        monkeypatch.setenv(f"CRYPTOPILOT_{name}", value)
    settings = Settings.from_env()
    asyncio.run(create_user(settings, EMAIL, "correct-horse", None, admin=False))
    return settings


def adopt(folder: Path, user: str = EMAIL, **options: Any) -> int:
    args = argparse.Namespace(
        dir=folder,
        user=user,
        instance_id=options.get("instance_id"),
        dry_run=options.get("dry_run", False),
        snapshot_dir=None,
    )
    return adopt_command(args)


def counts(settings: Settings) -> tuple[int, int]:
    """How many bot rows and wallet allocations the gateway's database holds."""

    async def run() -> tuple[int, int]:
        db = Database(settings.database_url)
        try:
            async with db.engine.connect() as conn:
                rows = (await conn.execute(select(func.count()).select_from(bots))).scalar_one()
                money = (
                    await conn.execute(select(func.count()).select_from(wallet_allocations))
                ).scalar_one()
            return int(rows), int(money)
        finally:
            await db.close()

    return asyncio.run(run())


def find_bot(settings: Settings, bot_id: str) -> tuple[BotRecord | None, int | None]:
    """The bot's row and its wallet allocation in cents."""

    async def run() -> tuple[BotRecord | None, int | None]:
        db = Database(settings.database_url)
        try:
            record = await BotStore(db).find(bot_id)
            async with db.engine.connect() as conn:
                cents = (
                    await conn.execute(
                        select(wallet_allocations.c.allocated_cents).where(
                            wallet_allocations.c.bot_id == bot_id
                        )
                    )
                ).scalar_one_or_none()
            return record, cents
        finally:
            await db.close()

    return asyncio.run(run())


def _wallet(db: Database) -> WalletService:
    return WalletService(db, utcnow, starting_balance_cents=100_000, max_wallet_cents=10**9)


def seed_imported_allocation(settings: Settings, bot_id: str, cents: int) -> None:
    async def run() -> None:
        db = Database(settings.database_url)
        try:
            user = await UserStore(db, utcnow).get_by_email(EMAIL)
            assert user is not None
            await _wallet(db).allocate(user.id, bot_id, "imported", cents)
        finally:
            await db.close()

    asyncio.run(run())


def ledger_descriptions(settings: Settings) -> list[str]:
    async def run() -> list[str]:
        db = Database(settings.database_url)
        try:
            user = await UserStore(db, utcnow).get_by_email(EMAIL)
            assert user is not None
            view = await _wallet(db).view(user.id)
            return [t.description for t in view.recent]
        finally:
            await db.close()

    return asyncio.run(run())


@pytest.mark.e2e
def test_adopted_bot_continues_the_old_trade(
    old_bot: OldBot,
    pool: RunningPool,
    gateway_env: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot_id = "adopted-" + gateway_env.database_url.split(":", 1)[0].split("+", 1)[0]
    before = fingerprint(old_bot.folder)

    assert adopt(old_bot.folder, instance_id=bot_id, dry_run=True) == 0
    planned = capsys.readouterr().out
    assert "1 trades, 1 open" in planned and "dry run: nothing was changed" in planned
    assert counts(gateway_env) == (0, 0)
    # What the Mongo import leaves behind: the old bot's money as an allocation under its id.
    seed_imported_allocation(gateway_env, bot_id, 12_345)

    assert adopt(old_bot.folder, instance_id=bot_id) == 0, capsys.readouterr().err
    assert "Returned before adopting the old bot" in ledger_descriptions(gateway_env)
    assert f"adopted: bot {bot_id} runs in pool {pool.pool_id}" in capsys.readouterr().out
    try:
        record, allocated = find_bot(gateway_env, bot_id)
        assert record is not None and record.pool_id == pool.pool_id
        assert record.strategy == OLD_STRATEGY and record.pairs == ["BTC/USDT", "ETH/USDT"]
        assert allocated == round(OLD_WALLET * 100)
        endpoint = record.endpoint
        assert endpoint is not None and record.api_port is not None
        assert endpoint.url.endswith(f":{record.api_port}")

        password = bot_api_password(POOL_TOKEN, bot_id)
        client = FtRestClient(endpoint.url, endpoint.username, password, timeout=5)

        def open_trades() -> list[dict[str, Any]] | None:
            status = client.status()
            return status if isinstance(status, list) and status else None

        trades = wait_until(open_trades, timeout=120, interval=1, what="the adopted bot's trade")
        old = old_bot.trade
        assert [(t["trade_id"], t["pair"], t["open_rate"]) for t in trades] == [
            (old["trade_id"], old["pair"], old["open_rate"])
        ]
        assert client.show_config()["dry_run"] is True
        mine = [b for b in pool_bots(pool) if b["bot_id"] == bot_id]
        assert len(mine) == 1 and mine[0]["api_port"] == record.api_port
        # The source folder is exactly as the old container left it.
        assert fingerprint(old_bot.folder) == before
    finally:
        remove_pool_bot(pool, bot_id)


def _write_config(folder: Path, old_bot: OldBot, **changes: Any) -> None:
    config = old_bot.config(folder)
    for key, value in changes.items():
        if key == "pairs":
            config["exchange"]["pair_whitelist"] = value
        else:
            config[key] = value
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.e2e
def test_refusals_write_nothing(
    old_bot: OldBot,
    pool: RunningPool,
    gateway_env: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def refused(folder: Path, expected: str, user: str = EMAIL) -> None:
        before = fingerprint(folder)
        assert adopt(folder, user=user, instance_id="refused-1") == 1
        err = capsys.readouterr().err
        assert "refused" in err and expected in err, err
        assert fingerprint(folder) == before
        assert counts(gateway_env) == (0, 0)
        assert all(b["bot_id"] != "refused-1" for b in pool_bots(pool))

    missing = old_bot.copy(tmp_path / "missing-strategy")
    _write_config(missing, old_bot, strategy="GoneStrategy")
    refused(missing, "strategy GoneStrategy not found in")

    broken = old_bot.copy(tmp_path / "broken-json")
    (broken / "config.json").write_text('{"dry_run": true,')
    refused(broken, "config.json is not valid JSON")

    live = old_bot.copy(tmp_path / "live")
    _write_config(live, old_bot, dry_run=False)
    refused(live, "live config")

    refused(old_bot.folder, "no user with e-mail nobody@example.com", user="nobody@example.com")

    unknown_pair = old_bot.copy(tmp_path / "unknown-pair")
    _write_config(unknown_pair, old_bot, pairs=["BTC/USDT", "NOPE/USDT"])
    refused(unknown_pair, "NOPE/USDT not listed by binance")  # the pool's market list


STRATEGY_ONLY_HERE = """from freqtrade.strategy import IStrategy


class AdoptOnlyHere(IStrategy):
    timeframe = "5m"
"""


@pytest.mark.e2e
async def test_a_failed_placement_undoes_the_strategy_copy(
    old_bot: OldBot, pool: RunningPool, gateway_env: Settings, tmp_path: Path
) -> None:
    folder = old_bot.copy(tmp_path / "own-strategy")
    _write_config(folder, old_bot, strategy="AdoptOnlyHere")
    (folder / "adopt_only_here.py").write_text(STRATEGY_ONLY_HERE)
    # A library of our own: the pool does not know it, so the pool refuses the strategy
    # after it was copied, and the adoption must undo everything.
    library = tmp_path / "library"
    library.mkdir()
    db = Database(gateway_env.database_url)
    trading = build_trading(gateway_env, db, utcnow)
    try:
        await trading["pools"].start()
        await trading["pools"].check_health()
        service = AdoptService(users=UserStore(db), bots=trading["bots"], library=library)
        plan = await service.plan(folder, EMAIL, "undone-1")
        assert plan.old.strategy.needs_copy
        with pytest.raises(ApiError) as caught:
            await service.adopt(folder, EMAIL, "undone-1")
        assert caught.value.code == "UNKNOWN_STRATEGY"
        assert list(library.iterdir()) == []
        assert await BotStore(db).find("undone-1") is None
        assert await trading["wallet"].allocation(plan.user_id, "undone-1") is None
    finally:
        await trading["pools"].close()
        await trading["bot_api"].close()
        await db.close()
    assert all(b["bot_id"] != "undone-1" for b in pool_bots(pool))
