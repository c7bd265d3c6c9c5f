"""Turso (libSQL) backup of each bot's FreqTrade SQLite, and its restore (docs/turso.md)."""
