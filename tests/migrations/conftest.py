"""Migration tests use the gateway's database fixtures (SQLite and PostgreSQL) and clients."""

from __future__ import annotations

from tests.gateway.conftest import db_url, make_client, make_settings

__all__ = ["db_url", "make_client", "make_settings"]
