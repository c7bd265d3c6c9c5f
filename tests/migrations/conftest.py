"""Schema tests start from nothing: fresh SQLite files and fresh PostgreSQL databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

NewDatabase = Callable[[], str]
# Fresh databases a test may take (PostgreSQL ones are made before the test's event loop runs).
_PER_TEST = 2


@pytest.fixture(params=["sqlite", "postgres"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> NewDatabase:
    """Factory: the URL of a new, empty database of this test's kind (at most two a test)."""
    if request.param == "postgres":
        make: NewDatabase = request.getfixturevalue("make_postgres_database")
        urls = [make() for _ in range(_PER_TEST)]
    else:
        urls = [f"sqlite+aiosqlite:///{tmp_path / f'db{n}.sqlite3'}" for n in range(_PER_TEST)]
    return iter(urls).__next__
