"""Replication to a real sqld: two bots, an outage in the middle, one broken bot, restore."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import libsql_client
import pytest

from runtime.backup.reader import encode_value, quote
from runtime.backup.replicator import Replicator
from runtime.backup.restore import restore_bot
from runtime.backup.state import DEGRADED, OK
from tests.fixtures.sqld import SqldServer
from tests.helpers import async_wait_until
from tests.runtime.backup.conftest import bot_database
from tests.runtime.sync.ftdb import close_trade, delete_trade

Rows = dict[tuple[str, int], dict[str, Any]]


def local_rows(path: Path) -> Rows:
    """Every row of every table of a SQLite file, as the backup stores them."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        out: Rows = {}
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for (table,) in tables:
            for row in conn.execute(f"SELECT rowid AS __rowid, * FROM {quote(table)}"):  # noqa: S608
                values = {k: encode_value(row[k]) for k in row.keys()[1:]}
                out[(table, int(row["__rowid"]))] = values
        return out
    finally:
        conn.close()


async def remote_rows(url: str, bot_id: str) -> Rows:
    async with libsql_client.create_client(url) as client:
        result = await client.execute(
            "SELECT tbl, row_key, data FROM bot_rows WHERE bot_id = ?", [bot_id]
        )
    return {(str(t), int(k)): json.loads(d) for t, k, d in result.rows}


@contextmanager
def loop_latency() -> Iterator[list[float]]:
    """The worst delay of a 10 ms timer while the block runs (the event loop's health)."""
    worst: list[float] = [0.0]

    async def tick() -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(0.01)
            worst[0] = max(worst[0], time.monotonic() - start - 0.01)

    task = asyncio.get_running_loop().create_task(tick())
    try:
        yield worst
    finally:
        task.cancel()


MakeReplicator = Callable[[str, dict[str, Path]], Replicator]


@pytest.fixture
async def make_replicator() -> AsyncIterator[MakeReplicator]:
    """Replicators with a short interval, their connections closed after the test."""
    made: list[Replicator] = []

    def make(url: str, bots: dict[str, Path]) -> Replicator:
        replicator = Replicator(url, "", "pool-t", lambda: bots, interval=0.2, pass_timeout=5.0)
        made.append(replicator)
        return replicator

    yield make
    for replicator in made:
        await replicator.close()


async def test_two_bots_replicate_and_restore_into_a_database_freqtrade_opens(
    sqld: SqldServer, tmp_path: Path, make_replicator: MakeReplicator
) -> None:
    bots = {"a": bot_database(tmp_path, "a", trades=3), "b": bot_database(tmp_path, "b")}
    replicator = make_replicator(sqld.url, bots)
    await replicator.run_due()
    status = replicator.status()
    assert status["enabled"] and status["degraded"] == 0
    assert [(b["bot_id"], b["status"]) for b in status["bots"]] == [("a", OK), ("b", OK)]
    for bot_id, path in bots.items():
        assert await remote_rows(sqld.url, bot_id) == local_rows(path)

    # Changes land on the next pass: a closed trade with its sell order, a deleted trade.
    close_trade(bots["a"], 1, 0.5, datetime.now(UTC))
    delete_trade(bots["b"], 2)
    for state in replicator.states.values():
        state.next_attempt = 0.0
    await replicator.run_due()
    for bot_id, path in bots.items():
        assert await remote_rows(sqld.url, bot_id) == local_rows(path)
    assert replicator.states["a"].passes == 2

    # Restore bot a elsewhere: same rows, same schema, and FreqTrade reads its trades.
    target = tmp_path / "restored" / "tradesv3.dryrun.sqlite"
    result = await restore_bot(sqld.url, "", "a", target, force=False)
    assert result.tables["trades"] == 3 and result.tables["orders"] == 4
    assert local_rows(target) == local_rows(bots["a"])
    schema = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    with sqlite3.connect(target) as restored, sqlite3.connect(bots["a"]) as original:
        assert restored.execute(schema).fetchall() == original.execute(schema).fetchall()
    restored.close()
    original.close()
    trades = await asyncio.to_thread(_freqtrade_trades, target)
    assert trades == [(1, "BTC/USDT", False), (2, "ETH/USDT", True), (3, "BTC/USDT", True)]


def _freqtrade_trades(path: Path) -> list[tuple[int, str, bool]]:
    """Open the file with FreqTrade's own persistence (it runs its migrations check)."""
    from freqtrade.persistence import Trade, init_db

    init_db(f"sqlite:///{path}")
    try:
        return sorted((t.id, t.pair, t.is_open) for t in Trade.get_trades([]).all())
    finally:
        Trade.session.remove()


async def test_an_outage_degrades_each_bot_with_backoff_and_they_catch_up(
    sqld: SqldServer, tmp_path: Path, make_replicator: MakeReplicator
) -> None:
    bots = {"a": bot_database(tmp_path, "a"), "b": bot_database(tmp_path, "b")}
    replicator = make_replicator(sqld.url, bots)
    task = asyncio.create_task(replicator.run())
    try:

        async def all_ok() -> bool:
            return all(s.status == OK for s in replicator.states.values()) and len(bots) == len(
                replicator.states
            )

        await async_wait_until(all_ok, timeout=20, what="both bots backed up")

        with loop_latency() as worst:
            await asyncio.to_thread(sqld.stop)
            # The bots keep writing while the backup database is down.
            close_trade(bots["a"], 1, 0.5, datetime.now(UTC))
            delete_trade(bots["b"], 1)

            async def both_backing_off() -> bool:
                states = replicator.states.values()
                return all(s.status == DEGRADED and s.consecutive_failures >= 3 for s in states)

            await async_wait_until(both_backing_off, timeout=30, what="both degraded, backing off")
            for state in replicator.states.values():
                assert state.last_error is not None
                gap = state.next_attempt - (state.last_attempt or 0)
                assert gap >= 0.2 * 2 ** (state.consecutive_failures - 1) - 0.01
            status = replicator.status()
            assert status["degraded"] == 2
        assert worst[0] < 0.5  # the supervisor's event loop never stalled

        await asyncio.to_thread(sqld.start)
        for state in replicator.states.values():
            state.next_attempt = 0.0  # do not wait for the backoff in the test

        await async_wait_until(all_ok, timeout=30, what="both bots caught up")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    for bot_id, path in bots.items():
        assert await remote_rows(sqld.url, bot_id) == local_rows(path)


async def test_one_broken_bot_degrades_alone(
    sqld: SqldServer, tmp_path: Path, make_replicator: MakeReplicator
) -> None:
    bots = {"a": bot_database(tmp_path, "a"), "b": bot_database(tmp_path, "b")}
    replicator = make_replicator(sqld.url, bots)
    await replicator.run_due()
    bots["b"].write_bytes(b"not a database anymore" * 512)  # e.g. a damaged disk block
    close_trade(bots["a"], 1, 0.5, datetime.now(UTC))
    for state in replicator.states.values():
        state.next_attempt = 0.0
    await replicator.run_due()
    a, b = replicator.states["a"], replicator.states["b"]
    assert (a.status, a.passes) == (OK, 2)
    assert b.status == DEGRADED and b.consecutive_failures == 1
    assert b.last_error is not None and "DatabaseError" in b.last_error
    assert await remote_rows(sqld.url, "a") == local_rows(bots["a"])
    # The broken bot's last good copy is still there.
    assert {key[0] for key in await remote_rows(sqld.url, "b")} >= {"trades", "orders"}
