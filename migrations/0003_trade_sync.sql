-- Trade sync: each pool copies its bots' FreqTrade SQLite rows (trades, orders, pair locks)
-- here, keyed by (bot, FreqTrade id), plus one state row per bot (docs/sync.md).
-- Portable SQL (SQLite and PostgreSQL). Prices, amounts and profits are FreqTrade's floats in
-- the bot's stake currency, not wallet money. No foreign key to bots: a pool may sync a bot
-- the gateway does not know (yet), and the copy outlives a removed bot.
-- A row the bot deleted keeps its last values and gets `deleted_at`; rows are never removed.

-- One FreqTrade trade (`trades` table of the bot's database).
CREATE TABLE bot_trades (
    bot_id TEXT NOT NULL,
    trade_id INTEGER NOT NULL,
    pair TEXT NOT NULL,
    is_open BOOLEAN NOT NULL,
    is_short BOOLEAN NOT NULL,
    amount DOUBLE PRECISION,
    stake_amount DOUBLE PRECISION,
    open_rate DOUBLE PRECISION,
    close_rate DOUBLE PRECISION,
    open_date TIMESTAMP NOT NULL,
    close_date TIMESTAMP,
    realized_profit DOUBLE PRECISION,
    close_profit DOUBLE PRECISION,
    close_profit_abs DOUBLE PRECISION,
    exit_reason TEXT,
    strategy TEXT,
    timeframe INTEGER,
    stop_loss DOUBLE PRECISION,
    leverage DOUBLE PRECISION,
    stake_currency TEXT,
    updated_at TIMESTAMP NOT NULL,
    synced_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    PRIMARY KEY (bot_id, trade_id)
);

CREATE INDEX bot_trades_open_date_idx ON bot_trades (open_date);
CREATE INDEX bot_trades_close_date_idx ON bot_trades (close_date);

-- One FreqTrade order (`orders` table); `trade_id` is its `ft_trade_id`.
CREATE TABLE bot_orders (
    bot_id TEXT NOT NULL,
    order_id INTEGER NOT NULL,
    trade_id INTEGER NOT NULL,
    exchange_order_id TEXT NOT NULL,
    pair TEXT NOT NULL,
    side TEXT,
    order_type TEXT,
    status TEXT,
    is_open BOOLEAN NOT NULL,
    price DOUBLE PRECISION,
    average DOUBLE PRECISION,
    amount DOUBLE PRECISION,
    filled DOUBLE PRECISION,
    remaining DOUBLE PRECISION,
    cost DOUBLE PRECISION,
    order_date TIMESTAMP,
    order_filled_date TIMESTAMP,
    order_update_date TIMESTAMP,
    synced_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    PRIMARY KEY (bot_id, order_id)
);

CREATE INDEX bot_orders_trade_idx ON bot_orders (bot_id, trade_id);

-- One FreqTrade pair lock (`pairlocks` table).
CREATE TABLE bot_pairlocks (
    bot_id TEXT NOT NULL,
    lock_id INTEGER NOT NULL,
    pair TEXT NOT NULL,
    side TEXT NOT NULL,
    reason TEXT,
    lock_time TIMESTAMP NOT NULL,
    lock_end_time TIMESTAMP NOT NULL,
    active BOOLEAN NOT NULL,
    synced_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    PRIMARY KEY (bot_id, lock_id)
);

-- Where the sync of one bot stands. The high-water marks (highest ids, newest FreqTrade
-- timestamp seen) only move after the pass that read them committed, so an outage loses nothing.
-- `lag_seconds`: from the newest change the last pass carried to its commit.
CREATE TABLE bot_sync_state (
    bot_id TEXT NOT NULL PRIMARY KEY,
    pool_id TEXT NOT NULL,
    last_trade_id INTEGER NOT NULL DEFAULT 0,
    last_order_id INTEGER NOT NULL DEFAULT 0,
    last_lock_id INTEGER NOT NULL DEFAULT 0,
    last_change_at TIMESTAMP,
    last_synced_at TIMESTAMP,
    lag_seconds DOUBLE PRECISION,
    journal_mode TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    error_count INTEGER NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

CREATE INDEX bot_sync_state_pool_idx ON bot_sync_state (pool_id);
