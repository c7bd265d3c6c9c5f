"""Writes one bot's read batch into the target database: idempotent upserts, deletions, state.

Everything of one bot goes in one transaction together with its `bot_sync_state` row, so the
high-water marks move exactly when the rows they cover are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from migrations.schema import bot_orders, bot_pairlocks, bot_sync_state, bot_trades
from runtime.sync.reader import Batch, Cursor, Row

CHUNK = 500  # rows per INSERT: stays far below both drivers' bound-parameter limits


async def upsert(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], keep: Iterable[str] = ()
) -> None:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE every other column except `keep`."""
    if not rows:
        return
    dialect = conn.dialect.name
    keys = [c.name for c in table.primary_key.columns]
    kept = set(keep)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(table).values(list(chunk))
        elif dialect == "sqlite":
            stmt = sqlite.insert(table).values(list(chunk))
        else:
            raise RuntimeError(f"upserts are not implemented for {dialect}")
        changed = {
            name: stmt.excluded[name] for name in chunk[0] if name not in keys and name not in kept
        }
        await conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changed))


def _trade(bot_id: str, row: Row, now: datetime) -> dict[str, Any]:
    return {
        "bot_id": bot_id,
        "trade_id": row["id"],
        **{k: v for k, v in row.items() if k != "id"},
        "updated_at": row["close_date"] or row["open_date"],
        "synced_at": now,
        "deleted_at": None,
    }


def _order(bot_id: str, row: Row, now: datetime) -> dict[str, Any]:
    return {
        "bot_id": bot_id,
        "order_id": row["id"],
        "trade_id": row["ft_trade_id"],
        "exchange_order_id": row["order_id"],
        "pair": row["ft_pair"],
        "side": row["ft_order_side"],
        "order_type": row["order_type"],
        "status": row["status"],
        "is_open": row["ft_is_open"],
        **{k: row[k] for k in ("price", "average", "amount", "filled", "remaining", "cost")},
        **{k: row[k] for k in ("order_date", "order_filled_date", "order_update_date")},
        "synced_at": now,
        "deleted_at": None,
    }


def _lock(bot_id: str, row: Row, now: datetime) -> dict[str, Any]:
    return {
        "bot_id": bot_id,
        "lock_id": row["id"],
        **{k: v for k, v in row.items() if k != "id"},
        "synced_at": now,
        "deleted_at": None,
    }


async def _mark_deleted(
    conn: AsyncConnection, table: Table, key: str, bot_id: str, ids: frozenset[int], now: datetime
) -> None:
    if ids:
        await conn.execute(
            update(table)
            .where(table.c.bot_id == bot_id, table.c[key].in_(sorted(ids)))
            .where(table.c.deleted_at.is_(None))
            .values(deleted_at=now)
        )


async def load_cursor(conn: AsyncConnection, bot_id: str) -> Cursor:
    """The cursor of a bot as the target stores it (after a restart of the pool)."""
    state = (
        await conn.execute(select(bot_sync_state).where(bot_sync_state.c.bot_id == bot_id))
    ).first()
    if state is None or state.last_synced_at is None:
        return Cursor()

    async def ids(table: Table, key: str, flag: str | None = None) -> frozenset[int]:
        query = select(table.c[key]).where(table.c.bot_id == bot_id, table.c.deleted_at.is_(None))
        if flag is not None:
            query = query.where(table.c[flag].is_(True))
        return frozenset(int(r[0]) for r in (await conn.execute(query)).all())

    return Cursor(
        last_trade_id=state.last_trade_id,
        last_order_id=state.last_order_id,
        last_lock_id=state.last_lock_id,
        last_change_at=state.last_change_at,
        open_trade_ids=await ids(bot_trades, "trade_id", "is_open"),
        open_order_ids=await ids(bot_orders, "order_id", "is_open"),
        active_lock_ids=await ids(bot_pairlocks, "lock_id", "active"),
        trade_ids=await ids(bot_trades, "trade_id"),
        order_ids=await ids(bot_orders, "order_id"),
        lock_ids=await ids(bot_pairlocks, "lock_id"),
        full=False,
    )


async def write_batch(
    conn: AsyncConnection, pool_id: str, bot_id: str, batch: Batch, cursor: Cursor, now: datetime
) -> Cursor:
    """Store the batch, mark rows gone from the bot, move the state; returns the new cursor."""
    await upsert(conn, bot_trades, [_trade(bot_id, r, now) for r in batch.trades])
    await upsert(conn, bot_orders, [_order(bot_id, r, now) for r in batch.orders])
    await upsert(conn, bot_pairlocks, [_lock(bot_id, r, now) for r in batch.locks])
    # The cursor knows the ids stored and not deleted (load_cursor after a restart).
    gone = cursor.trade_ids - batch.trade_ids
    await _mark_deleted(conn, bot_trades, "trade_id", bot_id, gone, now)
    await _mark_deleted(
        conn, bot_orders, "order_id", bot_id, cursor.order_ids - batch.order_ids, now
    )
    await _mark_deleted(
        conn, bot_pairlocks, "lock_id", bot_id, cursor.lock_ids - batch.lock_ids, now
    )
    new = Cursor(
        last_trade_id=max(batch.trade_ids, default=cursor.last_trade_id),
        last_order_id=max(batch.order_ids, default=cursor.last_order_id),
        last_lock_id=max(batch.lock_ids, default=cursor.last_lock_id),
        last_change_at=batch.newest_change,
        open_trade_ids=frozenset(r["id"] for r in batch.trades if r["is_open"]),
        open_order_ids=frozenset(r["id"] for r in batch.orders if r["ft_is_open"]),
        active_lock_ids=frozenset(r["id"] for r in batch.locks if r["active"]),
        trade_ids=batch.trade_ids,
        order_ids=batch.order_ids,
        lock_ids=batch.lock_ids,
        full=False,
    )
    lag = None
    if batch.rows and batch.newest_change is not None:
        lag = max(0.0, (now - batch.newest_change).total_seconds())
    state: dict[str, Any] = {
        "bot_id": bot_id,
        "pool_id": pool_id,
        "last_trade_id": new.last_trade_id,
        "last_order_id": new.last_order_id,
        "last_lock_id": new.last_lock_id,
        "last_change_at": new.last_change_at,
        "last_synced_at": now,
        "journal_mode": batch.journal_mode,
        "last_error": "",
        "error_count": 0,
        "updated_at": now,
    }
    if lag is not None:
        state["lag_seconds"] = lag
    await upsert(conn, bot_sync_state, [state])
    return new


async def write_error(
    conn: AsyncConnection, pool_id: str, bot_id: str, error: str, count: int, now: datetime
) -> None:
    """Record a bot's read failure; its rows and high-water marks stay as they were."""
    row = {
        "bot_id": bot_id,
        "pool_id": pool_id,
        "last_error": error[:1000],
        "error_count": count,
        "updated_at": now,
    }
    await upsert(conn, bot_sync_state, [row])
