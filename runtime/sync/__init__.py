"""Copies each pool bot's FreqTrade SQLite rows into the gateway's database (docs/sync.md)."""
