-- Accounts: users and their roles, login sessions (refresh-token families), notification
-- settings, e-mail verification requests and the security audit log.
-- Portable SQL: this exact text runs on SQLite and PostgreSQL. Ids are text (uuid4 hex),
-- timestamps are UTC without a zone, booleans are BOOLEAN. Primary keys say NOT NULL because
-- SQLite would otherwise accept NULL in a non-integer primary key.

CREATE TABLE roles (
    name TEXT NOT NULL PRIMARY KEY,
    description TEXT NOT NULL
);

INSERT INTO roles (name, description) VALUES ('user', 'Trades with their own bots and wallet');
INSERT INTO roles (name, description) VALUES ('admin', 'Also manages users and pools');

CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    avatar TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    auth_provider TEXT NOT NULL,
    firebase_uid TEXT UNIQUE,
    role TEXT NOT NULL DEFAULT 'user' REFERENCES roles (name),
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    preferred_currency TEXT NOT NULL DEFAULT 'USD',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login TIMESTAMP
);

-- A session is one refresh-token family: created at login, rotated on refresh, revoked as a whole.
CREATE TABLE sessions (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_active TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_reason TEXT,
    user_agent TEXT NOT NULL DEFAULT '',
    device TEXT NOT NULL DEFAULT '',
    browser TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Only a SHA-256 of each refresh token is kept; rotated_at marks a spent token (reuse = theft).
CREATE TABLE refresh_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP
);

CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

CREATE TABLE notification_settings (
    user_id TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    trade_alerts BOOLEAN NOT NULL DEFAULT TRUE,
    daily_summary BOOLEAN NOT NULL DEFAULT TRUE,
    bot_errors BOOLEAN NOT NULL DEFAULT TRUE,
    push_notifications BOOLEAN NOT NULL DEFAULT FALSE,
    frequency TEXT NOT NULL DEFAULT 'instant',
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE email_verifications (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    requested_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    delivery TEXT NOT NULL
);

CREATE INDEX email_verifications_user_id_idx ON email_verifications (user_id);

-- Security events. No foreign key: the trail outlives deleted users.
CREATE TABLE audit_log (
    id TEXT NOT NULL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    event TEXT NOT NULL,
    user_id TEXT,
    email TEXT,
    ip TEXT,
    request_id TEXT,
    detail TEXT NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_event_email_at_idx ON audit_log (event, email, at);
CREATE INDEX audit_log_event_ip_at_idx ON audit_log (event, ip, at);
CREATE INDEX audit_log_user_id_idx ON audit_log (user_id);
