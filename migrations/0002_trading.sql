-- Trading: pools and the bots placed in them, the paper wallet with its per-bot allocations
-- and ledger, per-bot risk settings, portfolio snapshots and the reconciler's action log.
-- Portable SQL (SQLite and PostgreSQL). Money is BIGINT cents of the wallet currency (USD);
-- a bot's paper funds are the same number of units of its stake currency (docs/trading.md).

-- A pool supervisor the gateway may place bots in: from settings or announced by the pool.
CREATE TABLE pools (
    id TEXT NOT NULL PRIMARY KEY,
    control_url TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    host_label TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL CHECK (source IN ('settings', 'announced')),
    status TEXT NOT NULL DEFAULT 'unknown'
        CHECK (status IN ('unknown', 'healthy', 'degraded', 'unreachable', 'draining')),
    bots_reported INTEGER NOT NULL DEFAULT 0,
    memory_mb REAL,
    cpu_percent REAL,
    last_seen TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One paper bot. `id` is the contract's instanceId and the pool's bot_id (unique platform-wide).
-- `exchange`, `pairs` and `stake_currency` are recorded as the user asked; dry-run bots trade
-- them on the sandbox market. The API credentials never leave the gateway.
CREATE TABLE bots (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pool_id TEXT REFERENCES pools (id),
    strategy TEXT NOT NULL,
    exchange TEXT NOT NULL,
    stake_currency TEXT NOT NULL,
    stake_amount TEXT NOT NULL,
    max_open_trades INTEGER NOT NULL,
    timeframe TEXT NOT NULL,
    pairs TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    wallet_cents BIGINT NOT NULL,
    desired_state TEXT NOT NULL
        CHECK (desired_state IN ('provisioning', 'running', 'stopped', 'deleting')),
    observed_state TEXT NOT NULL DEFAULT 'unknown',
    status_message TEXT NOT NULL DEFAULT '',
    api_url TEXT,
    api_username TEXT,
    api_password TEXT,
    api_port INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_seen TIMESTAMP
);

CREATE INDEX bots_user_id_idx ON bots (user_id);
CREATE INDEX bots_pool_id_idx ON bots (pool_id);

-- Invariant: balance + sum(allocations.allocated) = deposited - withdrawn + realised_pnl.
CREATE TABLE wallets (
    user_id TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    currency TEXT NOT NULL DEFAULT 'USD',
    balance_cents BIGINT NOT NULL CHECK (balance_cents >= 0),
    deposited_cents BIGINT NOT NULL DEFAULT 0,
    withdrawn_cents BIGINT NOT NULL DEFAULT 0,
    realised_pnl_cents BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Money lent to one bot. No foreign key to bots: an allocation outlives a vanished bot until
-- delete (B5) or wallet sync (W7) returns it.
CREATE TABLE wallet_allocations (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    bot_id TEXT NOT NULL,
    bot_name TEXT NOT NULL,
    allocated_cents BIGINT NOT NULL CHECK (allocated_cents >= 0),
    current_value_cents BIGINT NOT NULL,
    reserved_cents BIGINT NOT NULL DEFAULT 0,
    lifetime_pnl_cents BIGINT NOT NULL DEFAULT 0,
    allocated_at TIMESTAMP NOT NULL,
    valued_at TIMESTAMP,
    PRIMARY KEY (user_id, bot_id)
);

-- The ledger: one row per move, with the wallet balance after it.
CREATE TABLE wallet_transactions (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL
        CHECK (type IN ('deposit', 'withdraw', 'allocate', 'deallocate', 'profit', 'loss')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    bot_id TEXT,
    bot_name TEXT,
    description TEXT NOT NULL,
    balance_after_cents BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, seq)
);

-- Per-bot risk settings (R1-R3) and feature objects (R4-R7) as JSON text, and a trading pause.
CREATE TABLE bot_settings (
    bot_id TEXT NOT NULL PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    features TEXT NOT NULL,
    paused_until TIMESTAMP,
    pause_reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- What a user's bots were worth, every 30 s while they have an active bot (P2, P3).
CREATE TABLE portfolio_snapshots (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    portfolio_value_cents BIGINT NOT NULL,
    total_pnl_cents BIGINT NOT NULL,
    starting_capital_cents BIGINT NOT NULL,
    active_bots INTEGER NOT NULL,
    bot_count INTEGER NOT NULL
);

CREATE INDEX portfolio_snapshots_user_at_idx ON portfolio_snapshots (user_id, at);

-- Everything the reconciler did or found, so the database never drifts silently.
CREATE TABLE reconcile_actions (
    id TEXT NOT NULL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    pool_id TEXT,
    bot_id TEXT,
    user_id TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);

CREATE INDEX reconcile_actions_at_idx ON reconcile_actions (at);
CREATE INDEX reconcile_actions_user_at_idx ON reconcile_actions (user_id, at);
