"""Alembic revisions, numbered; each runs once, in order (`cryptopilot db upgrade`)."""
