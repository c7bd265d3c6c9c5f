-- Legacy import: which new row each imported MongoDB document became, so the import
-- (`cryptopilot migrate mongo`) can run again without duplicating anything.
-- Portable SQL (SQLite and PostgreSQL). `collection` is the kind of source record
-- ('users', 'wallets' = a user's embedded paperWallet, 'portfoliosnapshots'); `checksum` is a
-- SHA-256 of the source document, so an unchanged document is skipped and a changed one updated.

CREATE TABLE legacy_ids (
    collection TEXT NOT NULL,
    legacy_id TEXT NOT NULL,
    new_id TEXT NOT NULL,
    checksum TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (collection, legacy_id)
);

CREATE INDEX legacy_ids_new_id_idx ON legacy_ids (new_id);
