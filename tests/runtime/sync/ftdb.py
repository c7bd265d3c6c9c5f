"""Real FreqTrade databases for the sync tests: schema and first rows by FreqTrade itself.

Later changes are made with plain SQL on the file, the way the bot's own commits land.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

_STAMP = "%Y-%m-%d %H:%M:%S.%f"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


def make_freqtrade_db(path: Path, trades: int = 2, tag: str = "") -> None:
    """A FreqTrade database with `trades` open trades (one buy order each) and one pair lock."""
    from freqtrade.persistence import Order, PairLocks, Trade, init_db

    init_db(f"sqlite:///{path}")
    now = datetime.now(UTC)
    for n in range(trades):
        trade = Trade(
            pair="BTC/USDT" if n % 2 == 0 else "ETH/USDT",
            stake_amount=10.0,
            amount=0.001,
            open_rate=10000.0 + n,
            fee_open=0.001,
            fee_close=0.001,
            exchange="sandbox",
            open_date=now - timedelta(minutes=10 - n),
            is_open=True,
            strategy="SandboxScalp1m",
            timeframe=1,
            stake_currency="USDT",
        )
        trade.orders.append(
            Order(
                ft_order_side="buy",
                ft_pair=trade.pair,
                ft_is_open=False,
                ft_amount=0.001,
                ft_price=trade.open_rate,
                order_id=f"buy{tag}-{n}",
                status="closed",
                side="buy",
                order_type="limit",
                price=trade.open_rate,
                amount=0.001,
                filled=0.001,
                remaining=0.0,
                cost=10.0,
                order_date=now - timedelta(minutes=10 - n),
            )
        )
        Trade.session.add(trade)
    Trade.commit()
    PairLocks.use_db = True
    PairLocks.timeframe = "1m"
    PairLocks.lock_pair("ETH/USDT", now + timedelta(minutes=5), reason="cooldown")
    Trade.session.remove()


def close_trade(path: Path, trade_id: int, profit_abs: float, when: datetime) -> None:
    """Close a trade as FreqTrade does: the trade row updated, a filled sell order added."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE trades SET is_open = 0, close_date = ?, close_rate = open_rate * 1.01,"
            " close_profit = 0.01, close_profit_abs = ?, realized_profit = ?,"
            " exit_reason = 'roi' WHERE id = ?",
            (stamp(when), profit_abs, profit_abs, trade_id),
        )
        conn.execute(
            "INSERT INTO orders (ft_trade_id, ft_order_side, ft_pair, ft_is_open, ft_amount,"
            " ft_price, order_id, status, side, order_type, price, amount, filled, remaining,"
            " cost, order_date, order_filled_date)"
            " SELECT id, 'sell', pair, 0, amount, close_rate, 'sell-' || id, 'closed', 'sell',"
            " 'limit', close_rate, amount, amount, 0, amount * close_rate, ?, ? FROM trades"
            " WHERE id = ?",
            (stamp(when), stamp(when), trade_id),
        )
    conn.close()


def delete_trade(path: Path, trade_id: int) -> None:
    """Delete a trade and its orders (FreqTrade's `DELETE /trades/{id}`)."""
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM orders WHERE ft_trade_id = ?", (trade_id,))
        conn.execute("DELETE FROM trades WHERE id = ?", (trade_id,))
    conn.close()
