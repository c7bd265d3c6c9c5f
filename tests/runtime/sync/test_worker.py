"""The sync worker against a real target (SQLite and PostgreSQL) and real FreqTrade files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, select
from sqlalchemy.ext.asyncio import create_async_engine

from migrations.schema import bot_orders, bot_pairlocks, bot_sync_state, bot_trades
from runtime.sync.worker import SyncWorker
from tests.runtime.sync.ftdb import close_trade, delete_trade, make_freqtrade_db
from tests.runtime.sync.relay import Relay


async def _rows(url: str, table: Any, bot_id: str = "b1") -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            key = table.primary_key.columns.values()[-1]
            query = select(table).where(table.c.bot_id == bot_id).order_by(key)
            return list((await conn.execute(query)).all())
    finally:
        await engine.dispose()


def _worker(url: str, files: dict[str, Path]) -> SyncWorker:
    return SyncWorker(url, "pool-1", lambda: sorted(files.items()), interval=1.0)


async def test_passes_copy_close_and_mark_deletions_idempotently(
    target_url: str, bot_db: Path
) -> None:
    worker = _worker(target_url, {"b1": bot_db})
    try:
        status = await worker.sync_now()
        assert status["target"]["ok"] is True
        [bot] = status["bots"]
        assert (bot["last_trade_id"], bot["trades"], bot["last_error"]) == (2, 2, "")
        trades = await _rows(target_url, bot_trades)
        assert [(t.trade_id, t.is_open, t.deleted_at) for t in trades] == [
            (1, True, None),
            (2, True, None),
        ]
        assert len(await _rows(target_url, bot_orders)) == 2
        assert [lock.pair for lock in await _rows(target_url, bot_pairlocks)] == ["ETH/USDT"]

        when = datetime.now(UTC)
        close_trade(bot_db, 1, 0.25, when)
        await worker.sync_now()
        first = (await _rows(target_url, bot_trades))[0]
        assert (first.is_open, first.close_profit_abs, first.exit_reason) == (False, 0.25, "roi")
        assert first.close_date == when.replace(microsecond=first.close_date.microsecond)
        assert [o.side for o in await _rows(target_url, bot_orders)] == ["buy", "buy", "sell"]

        before = await _rows(target_url, bot_trades)
        await worker.sync_now()  # nothing changed: the same rows, no duplicates
        after = await _rows(target_url, bot_trades)
        assert [t._mapping["close_profit_abs"] for t in after] == [
            t._mapping["close_profit_abs"] for t in before
        ]
        assert len(after) == 2

        delete_trade(bot_db, 2)
        await worker.sync_now()
        trades = await _rows(target_url, bot_trades)
        assert [(t.trade_id, t.deleted_at is not None) for t in trades] == [(1, False), (2, True)]
        orders = await _rows(target_url, bot_orders)
        assert [(o.order_id, o.deleted_at is not None) for o in orders] == [
            (1, False),
            (2, True),
            (3, False),
        ]
        [state] = await _rows(target_url, bot_sync_state)
        # The high-water mark follows the file: SQLite hands a deleted top id out again.
        assert (state.pool_id, state.last_trade_id, state.journal_mode) == ("pool-1", 1, "wal")
        assert state.last_synced_at is not None and state.error_count == 0
    finally:
        await worker.close()

    # A restarted pool resumes from the target's state: deletions stay, new trades arrive.
    again = _worker(target_url, {"b1": bot_db})
    try:
        await again.sync_now()
        trades = await _rows(target_url, bot_trades)
        assert [(t.trade_id, t.deleted_at is not None) for t in trades] == [(1, False), (2, True)]
        make_freqtrade_db(
            bot_db, trades=2, tag="x"
        )  # FreqTrade adds two trades: ids 2 (again) and 3
        status = await again.sync_now()
        trades = await _rows(target_url, bot_trades)
        assert [(t.trade_id, t.is_open, t.deleted_at) for t in trades] == [
            (1, False, None),
            (2, True, None),
            (3, True, None),
        ]
        assert status["bots"][0]["last_trade_id"] == 3
    finally:
        await again.close()


async def test_a_broken_or_missing_file_never_stops_the_others(
    target_url: str, bot_db: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"garbage" * 1000)
    files = {"a-broken": broken, "b1": bot_db, "c-missing": tmp_path / "missing.sqlite"}
    worker = _worker(target_url, files)
    try:
        status = await worker.sync_now()
        await worker.sync_now()
    finally:
        await worker.close()
    assert status["target"]["ok"] is True
    by_id = {b["bot_id"]: b for b in worker.status()["bots"]}
    assert by_id["b1"]["last_error"] == "" and by_id["b1"]["trades"] == 2
    assert "cannot" in by_id["a-broken"]["last_error"]
    assert "not found" in by_id["c-missing"]["last_error"]
    assert by_id["c-missing"]["error_count"] == 2
    assert len(await _rows(target_url, bot_trades)) == 2
    [missing] = await _rows(target_url, bot_sync_state, "c-missing")
    assert "not found" in missing.last_error and missing.error_count == 2
    assert missing.last_synced_at is None


async def test_target_outage_backs_off_then_catches_up_with_nothing_lost(
    pg_target_url: str, bot_db: Path
) -> None:
    url = pg_target_url
    real = make_url(url)
    with Relay(real.host or "127.0.0.1", real.port or 5432) as relay:
        through = real.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
        worker = SyncWorker(through, "pool-1", lambda: [("b1", bot_db)], connect_timeout=2.0)
        try:
            assert (await worker.sync_now())["target"]["ok"] is True
            relay.cut()
            close_trade(bot_db, 1, 0.5, datetime.now(UTC))
            failed = await worker.sync_now()
            assert failed["target"]["ok"] is False
            assert failed["target"]["failures"] == 1
            assert failed["target"]["retry_in"] == pytest.approx(1.0, abs=0.5)
            assert failed["bots"][0]["pending_rows"] > 0
            assert (await worker.sync_now())["target"]["failures"] == 2
            assert worker.backoff() == 2.0
            # The target still holds the state before the outage.
            assert (await _rows(url, bot_trades))[0].is_open is True

            relay.restore()
            caught_up = await worker.sync_now()
            assert caught_up["target"] == {
                "ok": True,
                "failures": 0,
                "last_error": "",
                "retry_in": None,
            }
            assert caught_up["bots"][0]["pending_rows"] == 0
        finally:
            await worker.close()
    first = (await _rows(url, bot_trades))[0]
    assert (first.is_open, first.close_profit_abs) == (False, 0.5)
    assert [o.side for o in await _rows(url, bot_orders)] == ["buy", "buy", "sell"]


def test_backoff_doubles_up_to_a_minute() -> None:
    worker = SyncWorker("sqlite+aiosqlite://", "p", list)
    delays = []
    for failures in range(1, 10):
        worker.failures = failures
        delays.append(worker.backoff())
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
